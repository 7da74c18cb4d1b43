"""OpenAPI 3.1 description of the worker and admin API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _body(schema_ref: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "conversation id"}]
_COMMON = {"401": _error("not authenticated"), "403": _error("CSRF token missing (cookie)")}


def _post(summary: str, body: str | None, ok: dict[str, Any], **errors: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "parameters": _ID,
        "responses": {**ok, **_COMMON, **{code: _error(text) for code, text in errors.items()}},
    }
    if body:
        operation["requestBody"] = _body(body)
    return {"post": operation}


_OK = {"200": {"description": "done", "content": {"application/json": {"schema": {
    "type": "object"}}}}}
_ITEM_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
             "description": "NLU review item id"}]
_WORKER_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
               "description": "account id"}]
_ACCOUNT = {"200": {"description": "the account now", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Account"}}}}}
_REVIEW_ITEM = {"200": {"description": "the item now", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/ReviewItem"}}}}}
_SERVICE_RULES = {"type": "object", "additionalProperties": False,
                  "required": ["opening_hours", "holidays", "oncall_webhook_url",
                               "retention_days"],
                  "properties": {
                      "opening_hours": {"type": "string", "examples": ["ma-vr 14:00-22:00"]},
                      "holidays": {"type": "string",
                                   "examples": ["2026-12-25; 2026-12-31 14:00-17:00"]},
                      "oncall_webhook_url": {"type": "string"},
                      "retention_days": {"type": "number", "minimum": 0, "maximum": 3650}}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "broekzak worker API", "version": "1",
             "description": "Queue, claims, replies, notes, transfers and closing of handoffs; "
                            "for admins, crisis-detection review, erasure, the NLU inbox and "
                            "accounts. "
                            "Authenticate with `Authorization: Bearer <personal token>` (from "
                            "`python -m bot worker add`)."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/me": {"get": {"summary": "the calling worker",
                               "responses": {"200": {"description": "worker"}, **_COMMON}}},
        "/api/v1/presence": {"post": {
            "summary": "go online or offline", "requestBody": _body("Presence"),
            "responses": {**_OK, **_COMMON, "400": _error("bad body")}}},
        "/api/v1/queue": {"get": {
            "summary": "open handoffs, urgent first then longest waiting",
            "responses": {"200": {"description": "the queue", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"queue": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Handoff"}}}}}}},
                **_COMMON}}},
        "/api/v1/conversations/{id}": {"get": {
            "summary": "transcript (bot turns included), handoff and notes",
            "parameters": _ID,
            "responses": {"200": {"description": "conversation", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Conversation"}}}},
                **_COMMON, "404": _error("unknown conversation")}}},
        "/api/v1/conversations/{id}/claim": _post(
            "claim the conversation; the young person is told, by the worker's name, that a "
            "human took over",
            None, {"200": {"description": "yours (new: false when it already was)", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "claimed": {"type": "boolean"}, "new": {"type": "boolean"}}}}}}},
            **{"404": "unknown conversation", "409": "someone else has it, or closed"}),
        "/api/v1/conversations/{id}/messages": _post(
            "reply to the young person", "Text",
            {"201": {"description": "stored and sent", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Message"}}}}},
            **{"400": "empty or too long", "404": "unknown conversation",
               "409": "not claimed by you, or closed"}),
        "/api/v1/conversations/{id}/notes": _post(
            "internal note (never sent)", "Text", {"201": {"description": "stored"}},
            **{"400": "empty", "404": "unknown conversation", "409": "no open handoff"}),
        "/api/v1/conversations/{id}/transfer": _post(
            "transfer to a colleague or team", "Transfer", _OK,
            **{"400": "no target", "404": "unknown conversation or worker",
               "409": "not yours"}),
        "/api/v1/conversations/{id}/close": _post(
            "close; the bot says goodbye and asks for feedback", "Close", _OK,
            **{"404": "unknown conversation", "409": "not yours, or already closed"}),
        "/api/v1/admin/safety-detections": {"get": {
            "summary": "admins: the latest crisis detections with the message that fired them",
            "responses": {"200": {"description": "detections, newest first"}, **_COMMON,
                          "403": _error("admins only")}}},
        "/api/v1/admin/safety-detections/{id}/review": {"post": {
            "summary": "admins: mark a detection a true or a false alarm",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}, "description": "detection id"}],
            "requestBody": _body("Review"),
            "responses": {**_OK, **_COMMON, "400": _error("bad verdict"),
                          "404": _error("unknown detection")}}},
        "/api/v1/admin/conversations/{id}": {"delete": {
            "summary": "admins: erase a young person's conversation now (AVG request); "
                       "also empties Rasa's tracker",
            "parameters": _ID,
            "responses": {"200": {"description": "erased", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Erased"}}}}, **_COMMON,
                "404": _error("unknown conversation"),
                "409": _error("in the queue or with a worker: close it first")}}},
        "/api/v1/admin/stats": {"get": {
            "summary": "admins: how the service is doing per day (organisation's time zone): "
                       "new conversations, messages, escalations (urgent), median wait until "
                       "claimed, fallback rate; top intents and feedback over the period",
            "parameters": [{"name": "days", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 90,
                                       "default": 14}}],
            "responses": {"200": {"description": "figures, oldest day first"}, **_COMMON,
                          "400": _error("days out of range")}}},
        "/api/v1/admin/models": {"get": {
            "summary": "admins: the trained models on disk (MODEL_DIR and its archive/), "
                       "newest first, and the one Rasa runs",
            "responses": {"200": {"description": "models", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "active": {"type": ["string", "null"]},
                    "models": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "size_mb": {"type": "number"},
                        "trained_at": {"type": "string", "format": "date-time"},
                        "active": {"type": "boolean"}}}}}}}}},
                **_COMMON}}},
        "/api/v1/admin/models/activate": {"post": {
            "summary": "admins: have Rasa run another model (a new training, or back to an "
                       "earlier one); the old one serves until the new one is loaded",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["model"],
                "properties": {"model": {"type": "string"}}}}}},
            "responses": {**_OK, **_COMMON, "400": _error("not a model in the model folder"),
                          "503": _error("Rasa did not load it; the old one still runs")}}},
        "/api/v1/admin/audit": {"get": {
            "summary": "admins: the audit log, newest first, 100 at a time: who read or "
                       "acted on which conversation or account, and when (no message text)",
            "parameters": [
                {"name": "conversation", "in": "query", "required": False,
                 "schema": {"type": "string"}, "description": "one conversation's entries"},
                {"name": "worker", "in": "query", "required": False,
                 "schema": {"type": "string"},
                 "description": "an account's name: what it did and what was done to it"},
                {"name": "before", "in": "query", "required": False,
                 "schema": {"type": "integer"}, "description": "the next page: entries "
                                                               "older than this id"}],
            "responses": {"200": {"description": "entries (id, at, action, by, "
                                                 "conversation_id, account) and more"},
                          **_COMMON, "400": _error("a filter too long, or a bad 'before'")}}},
        "/api/v1/admin/service": {
            "get": {"summary": "admins: the service rules in force (opening hours, holidays, "
                               "on-call webhook, retention in days), .env's as defaults, and "
                               "who saved them when",
                    "responses": {"200": {"description": "rules"}, **_COMMON}},
            "put": {"summary": "admins: replace the four service rules; every gateway process "
                               "uses them within 30 s",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": _SERVICE_RULES}}},
                    "responses": {"200": {"description": "rules now in force"}, **_COMMON,
                                  "400": _error("a rule cannot be used; `field` names it, "
                                                "nothing is saved")}}},
        "/api/v1/hours": {"get": {
            "summary": "the opening hours in force (public: the bot tells them to anyone)",
            "security": [],
            "responses": {"200": {"description": "opening_hours, holidays (OPENING_HOURS' "
                                                 "and HOLIDAYS' notation), timezone, "
                                                 "open_now, week (one line per day)"}}}},
        "/api/v1/admin/workers": {
            "get": {"summary": "admins: every inbox account (active ones first)",
                    "responses": {"200": {"description": "accounts", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "workers": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/Account"}}}}}}},
                        **_COMMON}},
            "post": {"summary": "admins: make an account; its personal API token is in the "
                                "answer, and only there",
                     "requestBody": _body("NewAccount"),
                     "responses": {"201": {"description": "made", "content": {
                         "application/json": {"schema": {"type": "object", "properties": {
                             "id": {"type": "integer"}, "name": {"type": "string"},
                             "role": {"type": "string"}, "api_token": {"type": "string"}}}}}},
                         **_COMMON, "400": _error("bad name, role, team or weak password"),
                         "409": _error("the name is taken")}}},
        "/api/v1/admin/workers/{id}/deactivate": {"post": {
            "summary": "admins: deactivate an account (someone left): its password, token and "
                       "sessions stop working at once; conversations it held go back to the "
                       "queue",
            "parameters": _WORKER_ID,
            "responses": {**_ACCOUNT, **_COMMON, "404": _error("unknown account"),
                          "409": _error("your own account")}}},
        "/api/v1/admin/workers/{id}/activate": {"post": {
            "summary": "admins: let a deactivated account in again",
            "parameters": _WORKER_ID,
            "responses": {**_ACCOUNT, **_COMMON, "404": _error("unknown account")}}},
        "/api/v1/admin/workers/{id}/role": {"post": {
            "summary": "admins: another role and team for an account (not your own role); "
                       "it applies at the account's next request",
            "parameters": _WORKER_ID,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["role", "team"], "properties": {
                    "role": {"type": "string", "enum": ["worker", "admin"]},
                    "team": {"type": ["string", "null"], "maxLength": 64}}}}}},
            "responses": {**_ACCOUNT, **_COMMON, "400": _error("unknown role, team too long"),
                          "404": _error("unknown account"),
                          "409": _error("your own role")}}},
        "/api/v1/admin/workers/{id}/password": {"post": {
            "summary": "admins: give an account a new password; its login sessions end",
            "parameters": _WORKER_ID, "requestBody": _body("Password"),
            "responses": {**_ACCOUNT, **_COMMON, "400": _error("weak password"),
                          "404": _error("unknown account")}}},
        "/api/v1/admin/workers/{id}/token": {"post": {
            "summary": "admins: replace an account's API token; the new one is in the "
                       "answer, and only there; the old one stops working",
            "parameters": _WORKER_ID,
            "responses": {"200": {"description": "the new token", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "api_token": {"type": "string"}}}}}},
                **_COMMON, "404": _error("unknown account")}}},
        "/api/v1/admin/nlu/review": {"get": {
            "summary": "admins: messages the bot did not understand or was unsure about "
                       "(newest first), the count of each status, and the intents to label with",
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"enum": ["open", "labelled", "ignored"],
                                       "default": "open"}}],
            "responses": {"200": {"description": "the NLU inbox", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "items": {"type": "array",
                              "items": {"$ref": "#/components/schemas/ReviewItem"}},
                    "counts": {"type": "object"},
                    "intents": {"type": "array", "items": {"type": "string"}}}}}}},
                **_COMMON, "400": _error("unknown status")}}},
        "/api/v1/admin/nlu/review/{id}/label": {"post": {
            "summary": "admins: make the message a training example of an intent, optionally "
                       "with its text edited (names out); it is cut loose from the conversation",
            "parameters": _ITEM_ID, "requestBody": _body("Label"),
            "responses": {**_REVIEW_ITEM, **_COMMON,
                          "400": _error("unknown intent, or the text is empty, too long or "
                                        "holds a phone number, e-mail or web address or "
                                        "postcode"),
                          "404": _error("unknown item")}}},
        "/api/v1/admin/nlu/review/{id}/ignore": {"post": {
            "summary": "admins: leave the message out of training",
            "parameters": _ITEM_ID,
            "responses": {**_REVIEW_ITEM, **_COMMON, "404": _error("unknown item"),
                          "409": _error("already a training example")}}},
        "/api/v1/admin/nlu/examples": {"get": {
            "summary": "admins: every labelled example as Rasa NLU training data",
            "responses": {"200": {"description": "Rasa 3 YAML (data/nlu/labelled.yml)",
                                  "content": {"application/x-yaml": {
                                      "schema": {"type": "string"}}}},
                          **_COMMON}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string"}}},
            "Text": {"type": "object", "required": ["text"],
                     "properties": {"text": {"type": "string", "minLength": 1}}},
            "Presence": {"type": "object", "required": ["online"],
                         "properties": {"online": {"type": "boolean"}}},
            "Transfer": {"type": "object", "properties": {"worker": {"type": "string"},
                                                          "team": {"type": "string"}}},
            "Close": {"type": "object", "properties": {"outcome": {"type": "string"}}},
            "Review": {"type": "object", "required": ["verdict"],
                       "properties": {"verdict": {"enum": ["true_alarm", "false_alarm"]}}},
            "Account": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "role": {"enum": ["worker", "admin"]}, "team": {"type": ["string", "null"]},
                "online": {"type": "boolean"}, "active": {"type": "boolean"},
                "last_seen_at": {"type": ["string", "null"]},
                "can_log_in": {"type": "boolean"}, "released": {"type": "integer"}}},
            "NewAccount": {"type": "object", "required": ["name", "password"], "properties": {
                "name": {"type": "string", "maxLength": 64},
                "role": {"enum": ["worker", "admin"], "default": "worker"},
                "team": {"type": "string", "maxLength": 64},
                "password": {"type": "string", "minLength": 10}}},
            "Password": {"type": "object", "required": ["password"], "properties": {
                "password": {"type": "string", "minLength": 10}}},
            "Label": {"type": "object", "required": ["intent"], "properties": {
                "intent": {"type": "string"}, "text": {"type": "string", "maxLength": 300}}},
            "ReviewItem": {"type": "object", "properties": {
                "id": {"type": "integer"}, "text": {"type": "string"},
                "reason": {"enum": ["fallback", "unsure"]},
                "predicted_intent": {"type": ["string", "null"]},
                "confidence": {"type": "number"},
                "status": {"enum": ["open", "labelled", "ignored"]},
                "intent": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"}}},
            "Erased": {"type": "object", "properties": {
                "conversation_id": {"type": "string"}, "erased": {"type": "boolean"},
                "bot_memory_cleared": {"type": "boolean"}}},
            "Message": {"type": "object", "properties": {
                "id": {"type": "string"}, "sender": {"enum": ["user", "bot", "worker", "system"]},
                "text": {"type": "string"}, "buttons": {"type": "array"},
                "created_at": {"type": "string", "format": "date-time"}}},
            "Handoff": {"type": "object", "properties": {
                "handoff_id": {"type": "integer"}, "conversation_id": {"type": "string"},
                "pseudonym": {"type": "string"}, "channel": {"type": "string"},
                "status": {"enum": ["queued", "assigned", "closed"]},
                "priority": {"enum": ["urgent", "normal"]}, "reason": {"type": "string"},
                "topic": {"type": ["string", "null"]}, "summary": {"type": "string"},
                "team": {"type": ["string", "null"]}, "worker": {"type": ["string", "null"]},
                "created_at": {"type": "string"}, "waiting_seconds": {"type": "integer"}}},
            "Conversation": {"type": "object", "properties": {
                "conversation_id": {"type": "string"}, "pseudonym": {"type": "string"},
                "channel": {"type": "string"}, "state": {"type": "string"},
                "handoff": {"$ref": "#/components/schemas/Handoff"},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                "notes": {"type": "array"}}},
        },
    },
}
