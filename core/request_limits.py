"""Bounds on what any request may cost before a view sees it.

A request body over MAX_REQUEST_BYTES is refused with 413 before it is read (pages, uploads and
the API alike), except a multipart body to a view marked `takes_files` — one that reads a photo or
a PDF and bounds it itself — which may be up to MAX_UPLOAD_BYTES. The API's JSON parser turns
nesting too deep for Python's parser into a 400 instead of a RecursionError.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def takes_files(view: Callable) -> Callable:
    """Mark a view (function or class) that reads uploaded files and bounds them itself."""
    view.takes_files = True
    return view


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        multipart = request.content_type == "multipart/form-data"
        return _refusal(request, settings.MAX_UPLOAD_BYTES if multipart else settings.MAX_REQUEST_BYTES) or (
            self.get_response(request)
        )

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        """Before any view or later middleware (CSRF reads the form) reads the body."""
        view = getattr(view_func, "view_class", view_func)
        if not getattr(view, "takes_files", False):
            return _refusal(request, settings.MAX_REQUEST_BYTES)
        if request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018 - files go to disk; the other fields are held to MAX_REQUEST_BYTES
            except RequestDataTooBig:
                return _refusal(request, settings.MAX_REQUEST_BYTES, length=-1)
        return None


def _refusal(request: HttpRequest, limit: int, length: int | None = None) -> HttpResponse | None:
    if length is None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
    if 0 <= length <= limit:
        return None
    size = f"{limit // 1024 // 1024} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    message = f"The request is larger than the {size} this service accepts."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        except (ValueError, json.JSONDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
