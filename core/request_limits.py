"""Bounds on what any request may cost before a view sees it.

A request body over MAX_REQUEST_BYTES is refused with 413 before it is read (pages, uploads and
the API alike); the API's JSON parser turns nesting too deep for Python's parser into a 400
instead of a RecursionError.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        limit = settings.MAX_REQUEST_BYTES
        if length < 0 or length > limit:
            message = f"The request is larger than the {limit // 1024} KB this service accepts."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        except (ValueError, json.JSONDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
