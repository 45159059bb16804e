"""The OpenAPI schema and the interactive docs are served by the app itself (no internet needed)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_describes_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/batches/", "/api/v1/verify/", "/api/v1/certificates/{certificate_id}/qr.{image_format}"):
        assert path in schema["paths"]
    assert "401" in schema["paths"]["/api/v1/batches/"]["get"]["responses"]


def test_the_docs_page_loads_its_assets_from_this_server(client):
    html = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
