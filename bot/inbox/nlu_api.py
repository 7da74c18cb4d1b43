"""Admin API of the NLU inbox: what the bot did not understand, labelled into examples."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import int_id, json_error, read_json_object
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate, require_admin
from bot.nlu_review import inbox
from bot.nlu_review.examples import ExampleRefused, to_rasa_yaml
from bot.store.models import AuditEntry, ReviewStatus

EXPORT_FILE = "labelled.yml"


class NluReviewApi:
    """Handlers of /api/v1/admin/nlu."""

    def __init__(self, accounts: Accounts, sessions: sessionmaker,
                 intents: tuple[str, ...]) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._intents = intents

    async def review(self, request: web.Request) -> web.Response:
        """Items of one status (?status=open|labelled|ignored, default open), the counts of
        each, and the intents a message can be given (audited: the texts are personal)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        status = request.query.get("status", ReviewStatus.OPEN)
        if status not in inbox.STATUSES:
            return json_error(400, f"'status' must be one of {list(inbox.STATUSES)}")
        async with self._sessions() as session, session.begin():
            found = await inbox.entries(session, status)
            counts = await inbox.counts(session)
            session.add(AuditEntry(worker_id=worker.id, action="read_nlu_review"))
        return web.json_response({"items": [e.to_json() for e in found], "counts": counts,
                                  "intents": list(self._intents)})

    async def label(self, request: web.Request) -> web.Response:
        """Give a message an intent: {"intent": ..., "text": optional edited example}."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        body = await read_json_object(request)
        intent, text = body.get("intent"), body.get("text")
        if intent not in self._intents:
            return json_error(400, "field 'intent' must be one of the bot's intents "
                                   "(GET /api/v1/admin/nlu/review lists them)")
        if text is not None and not isinstance(text, str):
            return json_error(400, "field 'text' must be a string")
        item_id = int_id(request, "item")
        try:
            async with self._sessions() as session, session.begin():
                entry = await inbox.label(session, item_id, str(intent), text, worker.id)
                if entry is None:
                    return json_error(404, "unknown item")
        except ExampleRefused as error:
            return json_error(400, str(error))
        return web.json_response(entry.to_json())

    async def ignore(self, request: web.Request) -> web.Response:
        """Leave a message out of training (noise, half a sentence)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        item_id = int_id(request, "item")
        try:
            async with self._sessions() as session, session.begin():
                entry = await inbox.ignore(session, item_id, worker.id)
                if entry is None:
                    return json_error(404, "unknown item")
        except inbox.NotReviewable as error:
            return json_error(409, str(error))
        return web.json_response(entry.to_json())

    async def export(self, request: web.Request) -> web.Response:
        """Every labelled example as Rasa NLU training data (data/nlu/labelled.yml)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        async with self._sessions() as session:
            examples = await inbox.labelled_examples(session)
        return web.Response(text=to_rasa_yaml(examples), content_type="application/x-yaml",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{EXPORT_FILE}"'})
