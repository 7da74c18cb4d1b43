"""Worker accounts: argon2 password hashes, personal API tokens, login sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.store.models import Role, WebSession, Worker, utcnow

_HASHER = PasswordHasher()
# Verified against when the name is unknown, so a login takes as long either way.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
NAME_MAX = 64
MIN_PASSWORD_CHARS = 10


class AccountError(ValueError):
    """An account cannot be made; the message says why."""


class AccountExists(AccountError):
    """The name is taken."""


def token_hash(token: str) -> str:
    """SHA-256 of a token: what we store instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewAccount:
    """A freshly made account and its API token (shown once)."""

    worker_id: int
    name: str
    role: str
    api_token: str


def _new_token() -> str:
    return "bzk_" + secrets.token_urlsafe(32)


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_CHARS} characters")


class Accounts:
    """Creates accounts and checks passwords, tokens and sessions."""

    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    async def add(self, name: str, role: str, password: str | None,
                  team: str | None = None) -> NewAccount:
        """Make an account; raises AccountError for a taken name or weak password."""
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise AccountError(f"the name must be 1 to {NAME_MAX} characters")
        if role not in (Role.WORKER, Role.ADMIN):
            raise AccountError("the role must be 'worker' or 'admin'")
        if password is not None:
            _check_password_strength(password)
        token = _new_token()
        worker = Worker(name=name, role=role, team=team,
                        password_hash=_HASHER.hash(password) if password else None,
                        api_token_hash=token_hash(token), online=False)
        try:
            async with self._sessions() as session, session.begin():
                session.add(worker)
                await session.flush()
                worker_id = worker.id
        except IntegrityError as error:
            raise AccountExists(f"an account named '{name}' already exists") from error
        return NewAccount(worker_id, name, role, token)

    async def by_token(self, token: str) -> Worker | None:
        """The active worker whose API token this is."""
        async with self._sessions() as session:
            return (await session.execute(select(Worker).where(
                Worker.api_token_hash == token_hash(token),
                Worker.active.is_(True)))).scalar_one_or_none()

    async def check_password(self, name: str, password: str) -> Worker | None:
        """The worker when name and password match; same cost when the name is unknown."""
        async with self._sessions() as session:
            worker = (await session.execute(
                select(Worker).where(Worker.name == name))).scalar_one_or_none()
        stored = worker.password_hash if worker is not None and worker.password_hash else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return worker if stored and worker is not None and worker.active else None

    async def start_session(self, worker: Worker, hours: float) -> tuple[str, str]:
        """A new login session: (cookie token, CSRF token)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        async with self._sessions() as session, session.begin():
            await session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
            session.add(WebSession(token_hash=token_hash(token), worker_id=worker.id,
                                   csrf_token=csrf,
                                   expires_at=utcnow() + timedelta(hours=hours)))
        return token, csrf

    async def by_session(self, token: str) -> tuple[Worker, str] | None:
        """(worker, CSRF token) of a live session cookie."""
        async with self._sessions() as session:
            row = (await session.execute(
                select(Worker, WebSession)
                .join(WebSession, WebSession.worker_id == Worker.id)
                .where(WebSession.token_hash == token_hash(token),
                       Worker.active.is_(True)))).first()
        if row is None:
            return None
        worker, web_session = row
        expires = web_session.expires_at
        if expires.tzinfo is None:
            from datetime import timezone

            expires = expires.replace(tzinfo=timezone.utc)
        if expires < utcnow():
            return None
        return worker, web_session.csrf_token

    async def end_session(self, token: str) -> None:
        """Log out: forget the session."""
        async with self._sessions() as session, session.begin():
            await session.execute(delete(WebSession).where(
                WebSession.token_hash == token_hash(token)))

    async def all(self) -> list[Worker]:
        """Every account, active ones first, by name."""
        async with self._sessions() as session:
            return list((await session.execute(select(Worker).order_by(
                Worker.active.desc(), Worker.name))).scalars())

    async def set_active(self, worker_id: int, active: bool) -> Worker | None:
        """(De)activate an account; None when there is none. Deactivating ends its login
        sessions and takes it offline: its token and password stop working at once."""
        async with self._sessions() as session, session.begin():
            worker = await session.get(Worker, worker_id)
            if worker is None:
                return None
            worker.active = active
            worker.deactivated_at = None if active else utcnow()
            if not active:
                worker.online = False
                await session.execute(delete(WebSession).where(
                    WebSession.worker_id == worker_id))
            return worker

    async def set_role_and_team(self, worker_id: int, role: str,
                                team: str | None) -> Worker | None:
        """Someone moves to another team or becomes (no longer) an admin; None when there is
        no such account. Takes effect at their next request: the role is read every time."""
        if role not in (Role.WORKER, Role.ADMIN):
            raise AccountError("the role must be 'worker' or 'admin'")
        if team is not None and len(team) > NAME_MAX:
            raise AccountError(f"the team must be at most {NAME_MAX} characters")
        async with self._sessions() as session, session.begin():
            worker = await session.get(Worker, worker_id)
            if worker is None:
                return None
            worker.role = role
            worker.team = team or None
            return worker

    async def set_password(self, worker_id: int, password: str) -> Worker | None:
        """A new password (forgotten, or given away); None when there is no such account.
        Ends the account's login sessions: whoever knew the old one is logged out."""
        _check_password_strength(password)
        async with self._sessions() as session, session.begin():
            worker = await session.get(Worker, worker_id)
            if worker is None:
                return None
            worker.password_hash = _HASHER.hash(password)
            await session.execute(delete(WebSession).where(WebSession.worker_id == worker_id))
            return worker

    async def new_token(self, worker_id: int) -> str | None:
        """Replace the account's API token (leaked, or a tool retired); the new one, shown
        once, or None when there is no such account. The old one stops working at once."""
        token = _new_token()
        async with self._sessions() as session, session.begin():
            worker = await session.get(Worker, worker_id)
            if worker is None:
                return None
            worker.api_token_hash = token_hash(token)
        return token
