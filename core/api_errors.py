"""API errors: DRF's field errors for bad input; never a 500 page for a malformed request."""

from __future__ import annotations

import logging

from django.http import Http404
from mongoengine import ValidationError as DocumentValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger("agriqcert")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        return Response({"detail": str(exc) or "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DocumentValidationError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
