"""OpenAPI post-processing: document the error answers every endpoint can give."""

from __future__ import annotations

ERRORS = {
    "400": "Invalid input: field names map to lists of problems (or 'detail'/'non_field_errors')",
    "401": "Not authenticated: send a session cookie or 'Authorization: Token <key>'",
    "403": "Authenticated, but your role may not do this",
    "404": "No such object that you can see (or no such page)",
    "429": "Too many requests",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "{'detail': '…'} or {'field': ['problem', …]}",
    "additionalProperties": True,
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
