"""Clear JSON error answers shared by the channels and APIs."""

from __future__ import annotations

import json

from aiohttp import web


def json_error(status: int, message: str) -> web.Response:
    """A JSON error body `{"error": message}` with the given HTTP status."""
    return web.json_response({"error": message}, status=status)


def bad_request(message: str) -> web.HTTPBadRequest:
    """A 400 exception with a JSON error body, to raise from deep inside a handler."""
    return web.HTTPBadRequest(text=json.dumps({"error": message}),
                              content_type="application/json")


async def read_json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object; raises HTTPBadRequest with a clear reason."""
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise web.HTTPBadRequest(text='{"error": "body is not valid UTF-8"}',
                                 content_type="application/json") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(text='{"error": "body is not valid JSON"}',
                                 content_type="application/json") from error
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "body must be a JSON object"}',
                                 content_type="application/json")
    return data


def int_id(request: web.Request, what: str) -> int:
    """The request's numeric {id}; raises 404 "unknown <what>" for anything else."""
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text=json.dumps({"error": f"unknown {what}"}),
                               content_type="application/json") from None
