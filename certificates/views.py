"""Public documents every verifier needs: the JSON-LD context, the revocation status lists and the
did:web issuer's DID document."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from certificates import signing
from certificates.status_lists import status_list_credential
from certificates.vocabulary import own_context


@require_GET
def context_document(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(own_context(), content_type="application/ld+json")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def status_list(request: HttpRequest, list_id: str) -> JsonResponse:
    document = status_list_credential(list_id)
    if document is None:
        raise Http404(f"No status list {list_id}")
    response = JsonResponse(document, content_type="application/vc+ld+json")
    response["Access-Control-Allow-Origin"] = "*"
    # Verifiers may cache it briefly; a revocation shows within five minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def did_document(request: HttpRequest) -> JsonResponse:
    """The did:web issuer's DID document: its current key and every retired one."""
    if not settings.MOCK_ISSUER_DID_WEB or not Path(settings.MOCK_ISSUER_KEY_FILE).exists():
        raise Http404("This service's issuer is not a did:web")
    response = JsonResponse(signing.did_document(), content_type="application/did+json")
    response["Access-Control-Allow-Origin"] = "*"
    # Short: after a key rotation verifiers must see the new key soon.
    response["Cache-Control"] = "public, max-age=300"
    return response
