"""A client for Inji Certify's OpenID4VCI credential endpoint.

Flow: discover the issuer metadata, then POST the credential request with a bearer token and a
holder proof JWT (aud = the credential issuer, iat, nonce = the latest c_nonce). A 400
invalid_proof that carries a fresh c_nonce is answered by re-signing once; a 401 invalid_token by
fetching a new token once (when an OAuth token endpoint is configured). Every other failure is
classified as transient or permanent. The bearer credential never appears in a message.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from functools import cache
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from requests.adapters import HTTPAdapter

from certificates.credentials import CREDENTIAL_TYPE, contexts, credential_id, credential_subject
from certificates.keys import SigningKey
from certificates.models import Batch, Inspection
from certificates.signing import local_signing_key
from issuance.inji.errors import PermanentIssuerError, TransientIssuerError
from issuance.inji.result import IssuedCredential

log = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/openid-credential-issuer"
RETRYABLE_400 = {"vc_issuance_failed"}


class InjiCertifyClient:
    def __init__(
        self,
        api_url: str,
        issuer_did: str,
        *,
        api_key: str = "",
        token_url: str = "",
        client_id: str = "",
        client_secret: str = "",
        timeout: float = 30,
        holder_key: SigningKey | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.issuer_did = issuer_did
        self._api_key = api_key
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self.timeout = timeout
        self._holder_key = holder_key
        self._session = requests.Session()
        # One pooled connection per concurrent job, so workers with high concurrency keep connections alive.
        self._session.mount("http://", HTTPAdapter(pool_maxsize=256))
        self._session.mount("https://", HTTPAdapter(pool_maxsize=256))
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._token: str | None = None
        self._c_nonce: str | None = None

    # -- the one public operation ---------------------------------------------------------

    def issue(self, batch: Batch, inspection: Inspection, *, certificate_key: str) -> IssuedCredential:
        metadata = self.metadata()
        endpoint = metadata.get("credential_endpoint") or f"{self.api_url}/issuance/credential"
        audience = metadata.get("credential_issuer") or self.api_url
        definition = {
            "@context": contexts(),
            "type": ["VerifiableCredential", CREDENTIAL_TYPE],
            # The subject's claims, for Inji Certify's data provider to put in the credential.
            "credentialSubject": credential_subject(batch, inspection),
        }
        resigned = refreshed = False
        while True:
            body = {
                "format": "ldp_vc",
                "credential_definition": definition,
                "proof": {"proof_type": "jwt", "jwt": self._proof_jwt(audience)},
            }
            response = self._request("POST", endpoint, json=body, headers=self._auth_header())
            if response.status_code == 200:
                return self._accept(response, certificate_key)
            error, description, c_nonce = _error_of(response)
            if c_nonce:
                self._c_nonce = c_nonce
            if response.status_code == 400 and error == "invalid_proof" and c_nonce:
                if not resigned:
                    resigned = True
                    continue
                # Refused again with yet another fresh nonce: concurrent requests rotated it under us.
                raise TransientIssuerError(
                    f"Inji Certify kept refusing the proof's c_nonce ({self._redact(description)})"
                )
            if response.status_code == 401 and self._token_url and not refreshed:
                self._token = None
                refreshed = True
                continue
            raise self._classify(response.status_code, error, description)

    # -- steps ------------------------------------------------------------------------------

    def metadata(self) -> dict:
        if self._metadata is None:
            response = self._request("GET", self.api_url + WELL_KNOWN)
            if response.status_code == 404:
                raise PermanentIssuerError(
                    f"Inji Certify has no issuer metadata at {self.api_url}{WELL_KNOWN} (404): check INJI_API_URL"
                )
            if response.status_code != 200:
                raise self._classify(response.status_code, *_error_of(response)[:2])
            metadata = _json_object(response, "issuer metadata")
            self._metadata = metadata
        return self._metadata

    def _auth_header(self) -> dict:
        if not self._token_url:
            return {"Authorization": f"Bearer {self._api_key}"}
        with self._lock:
            if self._token is None:
                self._token = self._fetch_token()
            return {"Authorization": f"Bearer {self._token}"}

    def _fetch_token(self) -> str:
        response = self._request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            auth=(self._client_id, self._client_secret),
        )
        if response.status_code != 200:
            error, description, _ = _error_of(response)
            if response.status_code in (400, 401, 403):
                raise PermanentIssuerError(
                    f"the token endpoint refused the client credentials ({response.status_code} {error}): "
                    "check INJI_CLIENT_ID and INJI_CLIENT_SECRET"
                )
            raise self._classify(response.status_code, error, description)
        payload = _json_object(response, "token response")
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise TransientIssuerError("the token endpoint answered without an access_token")
        if isinstance(payload.get("c_nonce"), str):
            self._c_nonce = payload["c_nonce"]
        return token

    def _proof_jwt(self, audience: str) -> str:
        key = self._holder_key or local_signing_key()
        claims: dict[str, Any] = {"aud": audience, "iat": int(time.time())}
        if self._client_id:
            claims["iss"] = self._client_id
        if self._c_nonce:
            claims["nonce"] = self._c_nonce
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return jwt.encode(
            claims, pem, algorithm="EdDSA", headers={"typ": "openid4vci-proof+jwt", "kid": key.verification_method}
        )

    def _accept(self, response: requests.Response, certificate_key: str) -> IssuedCredential:
        payload = _json_object(response, "credential response")
        if isinstance(payload.get("c_nonce"), str):
            self._c_nonce = payload["c_nonce"]
        credential = payload.get("credential")
        if credential is None and isinstance(payload.get("credentials"), list) and payload["credentials"]:
            credential = payload["credentials"][0].get("credential")  # OpenID4VCI 1.0 shape
        if not isinstance(credential, dict) or not isinstance(credential.get("proof"), dict | list):
            raise TransientIssuerError("Inji Certify answered 200 without a signed credential")
        issuer = credential.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer != self.issuer_did:
            raise PermanentIssuerError(
                f"Inji Certify returned a credential from {issuer!r}, not INJI_ISSUER_DID {self.issuer_did!r}"
            )
        return IssuedCredential(
            document=credential,
            credential_id=credential.get("id") or credential_id(certificate_key),
            issuer_did=issuer,
            valid_until=_parse_optional_time(credential.get("validUntil") or credential.get("expirationDate")),
            via="inji",
        )

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise TransientIssuerError(f"Inji Certify did not answer within {self.timeout:g} s ({url})") from None
        except requests.ConnectionError:
            raise TransientIssuerError(f"could not connect to Inji Certify at {url}") from None
        except requests.RequestException as exc:
            raise TransientIssuerError(f"request to Inji Certify failed: {exc.__class__.__name__}") from None

    def _classify(self, status: int, error: str, description: str) -> Exception:
        detail = self._redact(f"{status} {error}: {description}" if description else f"{status} {error}".strip())
        if status == 401:
            which = "the OAuth token" if self._token_url else "INJI_API_KEY"
            return PermanentIssuerError(f"Inji Certify refused {which} ({detail})")
        if status == 400 and error in RETRYABLE_400:
            return TransientIssuerError(f"Inji Certify could not issue the credential this time ({detail})")
        if status in (408, 425, 429) or status >= 500:
            return TransientIssuerError(f"Inji Certify is unavailable ({detail})")
        return PermanentIssuerError(f"Inji Certify refused the request ({detail})")

    def _redact(self, text: str) -> str:
        for secret in (self._api_key, self._client_secret, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text[:500]


def _error_of(response: requests.Response) -> tuple[str, str, str | None]:
    try:
        payload = response.json()
    except ValueError:
        return "", "", None
    if not isinstance(payload, dict):
        return "", "", None
    error = payload.get("error")
    description = payload.get("error_description")
    c_nonce = payload.get("c_nonce")
    return (
        error if isinstance(error, str) else "",
        description if isinstance(description, str) else "",
        c_nonce if isinstance(c_nonce, str) else None,
    )


def _json_object(response: requests.Response, what: str) -> dict:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise TransientIssuerError(f"Inji Certify sent a {what} that is not a JSON object")
    return payload


def _parse_optional_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def default_client() -> InjiCertifyClient:
    return _client(
        settings.INJI_API_URL,
        settings.INJI_ISSUER_DID,
        settings.INJI_API_KEY,
        settings.INJI_TOKEN_URL,
        settings.INJI_CLIENT_ID,
        settings.INJI_CLIENT_SECRET,
        settings.INJI_TIMEOUT_SECONDS,
    )


@cache
def _client(
    api_url: str, issuer_did: str, api_key: str, token_url: str, client_id: str, client_secret: str, timeout: int
) -> InjiCertifyClient:
    return InjiCertifyClient(
        api_url,
        issuer_did,
        api_key=api_key,
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        timeout=timeout,
    )
