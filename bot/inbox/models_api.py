"""Admin API of the bot's models: which are on disk, which one Rasa runs, and switching to
another one (a new training, or back to an earlier one) without downtime."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import json_error, read_json_object
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate, require_admin
from bot.rasa.client import RasaClient
from bot.rasa.models import ModelFile, ModelFiles, UnknownModel
from bot.store.models import AuditEntry

log = logging.getLogger(__name__)


class ModelsApi:
    """Handlers of /api/v1/admin/models."""

    def __init__(self, accounts: Accounts, sessions: sessionmaker, rasa: RasaClient,
                 files: ModelFiles) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._rasa = rasa
        self._files = files

    async def list(self, request: web.Request) -> web.Response:
        """The models on disk, newest first, and the one Rasa runs (null when unreachable)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        models = self._files.all()
        active = self._files.name_of(await self._rasa.loaded_model(), models)
        return web.json_response({"active": active, "models": [
            _model_json(m, m.name == active) for m in models]})

    async def activate(self, request: web.Request) -> web.Response:
        """Have Rasa run another model: {"model": name from the list}. Answers when Rasa has
        it loaded (up to a few minutes); the old one serves until then."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        name = (await read_json_object(request)).get("model")
        if not isinstance(name, str):
            return json_error(400, "field 'model' must be a model's name from the list")
        try:
            model = self._files.find(name)
        except UnknownModel as error:
            return json_error(400, str(error))
        if not await self._rasa.load_model(model.path):
            return json_error(503, "Rasa did not load the model (unreachable, or the file is "
                                   "not a model it can run); the old one still runs")
        async with self._sessions() as session, session.begin():
            session.add(AuditEntry(worker_id=worker.id, action="activate_model"))
        log.info("admin %d activated model %s", worker.id, model.name)
        return web.json_response({"active": model.name})


def _model_json(model: ModelFile, active: bool) -> dict[str, Any]:
    return {"name": model.name, "size_mb": model.size_mb,
            "trained_at": model.trained_at.isoformat(), "active": active}
