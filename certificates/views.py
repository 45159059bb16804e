"""Public documents every verifier needs: the JSON-LD context and the revocation status lists."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from certificates.jsonld import own_context
from certificates.revocation import status_list_credential


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
