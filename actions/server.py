"""Run the action server on a private interface, with a token (Rasa sends it as ?token=)."""

from __future__ import annotations

import hmac

from sanic import Sanic, response
from sanic.request import Request

from actions.settings import get_settings
from bot.logs import configure_logging


def create_action_app(token: str) -> Sanic:
    """rasa_sdk's app plus a token check on every route but /health."""
    from rasa_sdk.endpoint import create_app

    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request):  # type: ignore[no-untyped-def]
        if not token or request.path == "/health":
            return None
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "missing or wrong token"}, status=401)
        return None

    return app


def main() -> None:
    """Serve the actions until stopped."""
    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_action_app(settings.actions_token)
    app.run(host=settings.actions_host, port=settings.actions_port, workers=1,
            access_log=False, motd=False)


if __name__ == "__main__":
    main()
