"""A back office's client for Inji Certify v0.14: the OpenID4VCI Pre-Authorized Code flow.

Per job (repository inji/inji-certify, tag v0.14.0, paths under certify-service/.../certify/):

1. POST {INJI_API_URL}/pre-authorized-data with the claims (PreAuthorizedCodeController.java,
   PreAuthorizedCodeService.java) → a credential offer URI. This endpoint family answers errors
   with HTTP 200 and {"errors": [{"errorCode", "errorMessage"}]} (ExceptionHandlerAdvice.java,
   handleInternalControllerException).
2. GET the credential offer → its single-use pre-authorized code.
3. POST the token endpoint the authorization-server metadata names (OAuthController.java) →
   access token and c_nonce.
4. POST the credential endpoint with a proof JWT over the c_nonce (JwtProofValidator.java); a 400
   invalid_proof carrying a c_nonce is answered by re-signing once (VCIssuanceController.java,
   invalidNonceExceptionHandler).

Every step starts again from 1 when a job is retried: the code is spent by step 3. Certify's data
for the credential comes from the pushed claims only (PreAuthIssuanceServiceImpl.java); the
returned credential is checked to carry them unchanged, from INJI_ISSUER_DID, correctly signed.
Requests go to INJI_API_URL's origin only; the gateway key (INJI_API_KEY) only to
pre-authorized-data and credential status; nothing secret appears in a message.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from certificates.credential_document import credential_id
from certificates.models import IssuedVia
from certificates.trust import issuer_policy
from core.clock import utcnow
from credentials.verification import verify_credential
from issuance.inji.errors import IssuerError, PermanentIssuerError, TransientIssuerError
from issuance.inji.holder import HolderKey, holder_key
from issuance.inji.result import IssuedCredential
from issuance.metrics import ISSUER_SECONDS

log = logging.getLogger(__name__)

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_LIFETIME_SECONDS = 600  # expires_in must be 60–86400 (PreAuthorizedRequest.java)
# Error codes that say "try again" rather than "fix something first".
TRANSIENT_CODES = {"unknown_error", "server_error", "credential_offer_not_found"}


@dataclass(frozen=True)
class Endpoints:
    """What Certify's metadata says, checked to stay on INJI_API_URL's origin."""

    credential_issuer: str  # the proof's aud
    credential_endpoint: str
    token_endpoint: str
    context: list[str]
    types: list[str]
    proof_algs: list[str]


class CertifyClient:
    def __init__(
        self,
        api_url: str,
        *,
        issuer_did: str,
        configuration_id: str,
        holder: HolderKey,
        gateway_key: str = "",
        timeout: float = 30,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.issuer_did = issuer_did
        self.configuration_id = configuration_id
        self.holder = holder
        self._gateway_key = gateway_key
        self.timeout = timeout
        self._origin = _origin(self.api_url)
        self._session = requests.Session()
        # Proxies and CA bundles come from the process environment once, not from each call.
        self._session.trust_env = False
        self._session.proxies = requests.utils.get_environ_proxies(self.api_url)
        self._session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = HTTPAdapter(pool_maxsize=256)  # one pooled connection per concurrent job
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._lock = threading.Lock()
        self._endpoints: Endpoints | None = None
        self._secrets: set[str] = {gateway_key} - {""}

    # -- the two operations ---------------------------------------------------------------

    def issue(
        self, claims: dict, *, certificate_key: str, received: Callable[[dict], None] | None = None
    ) -> IssuedCredential:
        """Push, offer, token, credential. The offer URI, its pre-authorized code and the access
        token hand out a credential to whoever holds them: no message carries one (they are
        scrubbed from every error here, whatever step or answer echoed them).

        `received(credential)` gets Certify's answer before anything checks it, so the caller can
        keep it first: a credential exists at Certify from that moment, whatever happens next."""
        endpoints = self.endpoints()
        bearer: set[str] = set()
        try:
            offer_uri = self.push(claims)
            bearer.update(_offer_secrets(offer_uri))
            code = self.pre_authorized_code(offer_uri)
            bearer.add(code)
            token, c_nonce = self.exchange(endpoints, code)
            bearer.add(token)
            credential = self.request_credential(endpoints, token, c_nonce)
        except IssuerError as exc:
            raise type(exc)(_scrub(str(exc), bearer)) from None
        if received is not None:
            received(credential)
        return self.accept(credential, claims, certificate_key)

    def revoke(self, status_entry: dict) -> None:
        """Set the credential's revocation bit at Certify (CredentialStatusController.java, /v2/status).

        Certify looks `statusListCredential` up as the list's database id (v0.14.0
        CredentialStatusServiceImpl.updateCredentialStatusV2, findById), the bare id its issued
        credentials' list URL ends with (StatusListCredentialService.java: `…/credentials/status-list/<id>`);
        a URL is "not found". No `id` is sent: Certify refuses one that differs (STATUS_ID_MISMATCH)."""
        try:
            index = int(status_entry["statusListIndex"])
            list_id = status_list_id(str(status_entry["statusListCredential"]))
        except (KeyError, TypeError, ValueError):
            raise PermanentIssuerError("the credential has no usable credentialStatus entry to revoke") from None
        self._same_origin(str(status_entry["statusListCredential"]), "the status list")
        body = {
            "credentialStatus": {
                "type": status_entry.get("type", "BitstringStatusListEntry"),
                "statusPurpose": status_entry.get("statusPurpose", "revocation"),
                "statusListIndex": index,
                "statusListCredential": list_id,
            },
            "status": True,
        }
        response = self._request("POST", f"{self.api_url}/credentials/v2/status", json=body, gateway=True)
        if response.status_code == 204:
            return
        self._internal_result(response, "credential status update")

    # -- steps ------------------------------------------------------------------------------

    def endpoints(self) -> Endpoints:
        with self._lock:
            if self._endpoints is None:
                self._endpoints = self._discover()
            return self._endpoints

    def _discover(self) -> Endpoints:
        metadata = self._get_json(f"{self.api_url}/.well-known/openid-credential-issuer", "issuer metadata")
        configurations = metadata.get("credential_configurations_supported")
        configuration = configurations.get(self.configuration_id) if isinstance(configurations, dict) else None
        if not isinstance(configuration, dict):
            raise PermanentIssuerError(
                f"Inji Certify offers no credential configuration {self.configuration_id!r}: add deploy/inji's "
                "configuration, or set INJI_CREDENTIAL_CONFIGURATION_ID"
            )
        if configuration.get("format") != "ldp_vc":
            raise PermanentIssuerError(f"{self.configuration_id} is not an ldp_vc configuration at Inji Certify")
        definition = configuration.get("credential_definition") or {}
        algs = ((configuration.get("proof_types_supported") or {}).get("jwt") or {}).get(
            "proof_signing_alg_values_supported"
        ) or []
        if self.holder.alg not in algs:
            raise PermanentIssuerError(
                f"Inji Certify does not accept {self.holder.alg} proofs for {self.configuration_id} (it lists "
                f"{_quote(algs)}): set INJI_PROOF_ALG to one of them"
            )
        authorization = self._authorization_server_metadata(metadata)
        credential_endpoint = str(metadata.get("credential_endpoint") or f"{self.api_url}/issuance/credential")
        token_endpoint = str(authorization.get("token_endpoint") or "")
        self._same_origin(credential_endpoint, "the credential endpoint")
        self._same_origin(token_endpoint, "the token endpoint")
        return Endpoints(
            credential_issuer=str(metadata.get("credential_issuer") or ""),
            credential_endpoint=credential_endpoint,
            token_endpoint=token_endpoint,
            context=list(definition.get("@context") or []),
            types=list(definition.get("type") or []),
            proof_algs=list(algs),
        )

    def _authorization_server_metadata(self, metadata: dict) -> dict:
        """RFC 8414 places it under the authorization server's URL, which Certify names as its bare
        domain (mosip.certify.authorization.url) while serving the document under its servlet path
        (OAuthController.java): try the first, then INJI_API_URL."""
        servers = [str(server).rstrip("/") for server in metadata.get("authorization_servers") or []]
        for base in [*servers[:1], self.api_url]:
            self._same_origin(base, "the authorization server")
            response = self._request("GET", f"{base}/.well-known/oauth-authorization-server")
            if response.status_code == 200:
                return _json_object(response, "OAuth server metadata")
            if response.status_code != 404:
                raise self._http_error(response, "OAuth server metadata")
        raise PermanentIssuerError(
            f"Inji Certify publishes no OAuth server metadata under {self.api_url}/.well-known/: set "
            "mosip.certify.oauth.* (deploy/inji/certify-agriqcert.properties)"
        )

    def push(self, claims: dict) -> str:
        body = {
            "credential_configuration_id": self.configuration_id,
            "claims": claims,
            "expires_in": OFFER_LIFETIME_SECONDS,
        }
        response = self._request("POST", f"{self.api_url}/pre-authorized-data", json=body, gateway=True)
        payload = self._internal_result(response, "pre-authorized data push")
        offer_uri = payload.get("credential_offer_uri")
        if not isinstance(offer_uri, str) or not offer_uri:
            raise TransientIssuerError("Inji Certify accepted the claims but sent no credential_offer_uri")
        return offer_uri

    def pre_authorized_code(self, offer_uri: str) -> str:
        query = parse_qs(urlsplit(offer_uri).query)
        url = (query.get("credential_offer_uri") or [""])[0]
        if not url:
            raise PermanentIssuerError("Inji Certify's credential offer names no offer URL")
        self._same_origin(url, "the credential offer")
        offer = self._internal_result(self._request("GET", url), "credential offer")
        grant = (offer.get("grants") or {}).get(PRE_AUTHORIZED_GRANT) or {}
        code = grant.get("pre-authorized_code")
        if not isinstance(code, str) or not code:
            raise TransientIssuerError("Inji Certify's credential offer carries no pre-authorized code")
        if grant.get("tx_code"):
            raise PermanentIssuerError("Inji Certify asks for a transaction code; push the claims without tx_code")
        return code

    def exchange(self, endpoints: Endpoints, code: str) -> tuple[str, str]:
        response = self._request(
            "POST", endpoints.token_endpoint, data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
        )
        if response.status_code != 200:
            raise self._token_error(response)
        payload = _json_object(response, "token response")
        token, c_nonce = payload.get("access_token"), payload.get("c_nonce")
        if not isinstance(token, str) or not token or not isinstance(c_nonce, str):
            raise TransientIssuerError("Inji Certify's token response lacks access_token or c_nonce")
        return token, c_nonce

    def request_credential(self, endpoints: Endpoints, token: str, c_nonce: str) -> dict:
        for attempt in (1, 2):
            proof = self.holder.sign_proof(
                {"aud": endpoints.credential_issuer, "nonce": c_nonce, "iat": int(utcnow().timestamp())}
            )
            body = {
                "format": "ldp_vc",
                "credential_definition": {"@context": endpoints.context, "type": endpoints.types},
                "proof": {"proof_type": "jwt", "jwt": proof},
            }
            response = self._request(
                "POST", endpoints.credential_endpoint, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 200:
                credential = _json_object(response, "credential response").get("credential")
                if not isinstance(credential, dict):
                    raise TransientIssuerError("Inji Certify answered 200 without a credential")
                return credential
            error, description, fresh_nonce = _vc_error(response)
            if response.status_code == 400 and error == "invalid_proof" and fresh_nonce and attempt == 1:
                c_nonce = fresh_nonce  # the nonce expired (40 s by default): sign again over the new one
                continue
            raise self._credential_error(response.status_code, error, description, fresh_nonce)
        raise AssertionError("unreachable")

    def accept(self, credential: dict, claims: dict, certificate_key: str) -> IssuedCredential:
        issuer = credential.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer != self.issuer_did:
            raise PermanentIssuerError(
                f"Inji Certify returned a credential from {_quote(issuer)}, not INJI_ISSUER_DID {self.issuer_did}"
            )
        checked = verify_credential(credential, policy=issuer_policy(self.issuer_did))
        if checked.signature.ok is not True or checked.issuer.ok is not True:
            problem = checked.signature.reason if checked.signature.ok is not True else checked.issuer.reason
            raise PermanentIssuerError(f"Inji Certify's credential does not verify: {_quote(problem)}")
        subject = credential.get("credentialSubject")
        changed = sorted(k for k in claims if not isinstance(subject, dict) or subject.get(k) != claims[k])
        if changed:
            raise PermanentIssuerError(
                f"Inji Certify's credential does not carry the claims we pushed ({', '.join(changed)} differ): "
                "check its credential template against deploy/inji/"
            )
        status = revocation_entry(credential)
        return IssuedCredential(
            document=credential,
            credential_id=credential.get("id") or credential_id(certificate_key),
            issuer_did=issuer,
            valid_until=_parse_optional_time(credential.get("validUntil") or credential.get("expirationDate")),
            via=IssuedVia.INJI,
            status_list_id=str(status["statusListCredential"]) if status else None,
            status_list_index=int(status["statusListIndex"]) if status else None,
        )

    # -- HTTP and errors ----------------------------------------------------------------------

    def _request(self, method: str, url: str, *, gateway: bool = False, **kwargs: Any) -> requests.Response:
        self._same_origin(url, "a request")
        if gateway and self._gateway_key:
            kwargs.setdefault("headers", {})["Authorization"] = f"Bearer {self._gateway_key}"
        try:
            with ISSUER_SECONDS.labels(_step(url)).time():
                return self._session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.Timeout:
            step = _step(url)
            raise TransientIssuerError(
                f"Inji Certify did not answer the {step} step within {self.timeout:g} s"
            ) from None
        except requests.ConnectionError:
            raise TransientIssuerError(
                f"could not connect to Inji Certify at {self._origin} ({_step(url)} step)"
            ) from None
        except requests.RequestException as exc:
            raise TransientIssuerError(f"request to Inji Certify failed: {exc.__class__.__name__}") from None

    def _get_json(self, url: str, what: str) -> dict:
        response = self._request("GET", url)
        if response.status_code == 404:
            raise PermanentIssuerError(f"Inji Certify has no {what} at {url} (404): check INJI_API_URL")
        if response.status_code != 200:
            raise self._http_error(response, what)
        return _json_object(response, what)

    def _internal_result(self, response: requests.Response, what: str) -> dict:
        """The pre-authorized-data / offer / status family: errors arrive as HTTP 200 with an errors list."""
        if response.status_code in (401, 403):
            raise PermanentIssuerError(
                f"the gateway in front of Inji Certify refused the {what} ({response.status_code}): check INJI_API_KEY"
            )
        if response.status_code != 200:
            raise self._http_error(response, what)
        payload = _json_object(response, what)
        errors = payload.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and isinstance(errors[0], dict) else {}
            code, message = str(first.get("errorCode", "")), str(first.get("errorMessage", ""))
            detail = self._redact(f"{code}: {message}" if message and message != code else code)
            if code in TRANSIENT_CODES:
                raise TransientIssuerError(f"Inji Certify could not complete the {what} this time ({detail})")
            raise PermanentIssuerError(f"Inji Certify refused the {what} ({detail}){_HINTS.get(code, '')}")
        return payload.get("response") if isinstance(payload.get("response"), dict) else payload

    def _token_error(self, response: requests.Response) -> Exception:
        error, description, _ = _vc_error(response)
        detail = self._redact(_detail(response.status_code, error, description))
        if response.status_code >= 500 or (error in ("invalid_grant", "invalid_request") and "expired" in description):
            return TransientIssuerError(f"Inji Certify's token endpoint refused this code; starting again ({detail})")
        if error == "invalid_grant":
            return TransientIssuerError(f"the pre-authorized code was spent or unknown; starting again ({detail})")
        hint = _HINTS.get(error, "")
        return PermanentIssuerError(f"Inji Certify's token endpoint refused the pre-authorized code ({detail}){hint}")

    def _credential_error(self, status: int, error: str, description: str, c_nonce: str | None) -> Exception:
        detail = self._redact(_detail(status, error, description))
        if status >= 500 or status in (408, 429) or error in TRANSIENT_CODES:
            return TransientIssuerError(f"Inji Certify could not issue the credential this time ({detail})")
        if error == "invalid_proof" and c_nonce:
            return TransientIssuerError(f"Inji Certify refused the re-signed proof's nonce too ({detail})")
        hint = _HINTS.get(error, "")
        return PermanentIssuerError(f"Inji Certify refused the credential request ({detail}){hint}")

    def _http_error(self, response: requests.Response, what: str) -> Exception:
        detail = f"HTTP {response.status_code}"
        if response.status_code >= 500 or response.status_code in (408, 429):
            return TransientIssuerError(f"Inji Certify is unavailable ({detail} for the {what})")
        return PermanentIssuerError(f"Inji Certify refused the {what} ({detail})")

    def _same_origin(self, url: str, what: str) -> None:
        if _origin(url) != self._origin:
            raise PermanentIssuerError(
                f"{what} is at {_quote(_origin(url))}, outside INJI_API_URL's origin {self._origin}: refusing to "
                "send claims or tokens there"
            )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _quote(text, quoted=False)


_HINTS = {
    "invalid_credential_configuration_id": ": INJI_CREDENTIAL_CONFIGURATION_ID names no configuration at Certify",
    "unknown_claims": ": Certify's credential configuration lacks claims we send; upload deploy/inji's configuration",
    "invalid_token": ": Certify does not accept its own access tokens; align mosip.certify.authn.* with "
    "mosip.certify.oauth.* (deploy/inji/certify-agriqcert.properties)",
    "invalid_proof": ": check INJI_PROOF_ALG and the holder key",
    "invalid_scope": ": the credential configuration's scope does not match",
    "invalid_credential_request": ": the configuration's @context and type differ from what Certify has",
    "unsupported_grant_type": ": enable the pre-authorized_code grant (mosip.certify.oauth.grant-types-supported)",
    "vc_issuance_failed": ": see Certify's log for the cause",
}


def _vc_error(response: requests.Response) -> tuple[str, str, str | None]:
    try:
        payload = response.json()
    except ValueError:
        return "", "", None
    if not isinstance(payload, dict):
        return "", "", None
    error, description, c_nonce = payload.get("error"), payload.get("error_description"), payload.get("c_nonce")
    return (
        error if isinstance(error, str) else "",
        description if isinstance(description, str) else "",
        c_nonce if isinstance(c_nonce, str) and c_nonce else None,
    )


def _json_object(response: requests.Response, what: str) -> dict:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise TransientIssuerError(f"Inji Certify sent a {what} that is not a JSON object")
    return payload


STATUS_LIST_PATH = "/credentials/status-list/"


def status_list_id(list_url: str) -> str:
    """Certify's id of the status list at `list_url` (`…/credentials/status-list/<id>`); ValueError otherwise."""
    path = urlsplit(list_url).path
    head, found, list_id = path.rpartition(STATUS_LIST_PATH)
    if not found or not list_id or "/" in list_id:
        raise ValueError(f"not an Inji Certify status list URL: {list_url!r}")
    return list_id


def _offer_secrets(offer_uri: str) -> set[str]:
    """The offer URI and the offer URL inside it (either spends the pre-authorized code)."""
    inner = parse_qs(urlsplit(offer_uri).query).get("credential_offer_uri") or []
    return {offer_uri, *inner, *(urlsplit(url).path.rsplit("/", 1)[-1] for url in inner)} - {""}


def _detail(status: int, error: str, description: str) -> str:
    """'503', '400 invalid_proof', '400 invalid_proof: the nonce expired' — no stray spaces or colons."""
    head = " ".join(str(part) for part in (status, error) if str(part).strip())
    return f"{head}: {description}" if description and description != error else head


def _scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # the longest first: a URL before its id
        text = text.replace(secret, "***")
    return text


def revocation_entry(credential: dict) -> dict | None:
    entries = credential.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and entry.get("statusPurpose") == "revocation":
            return entry
    return None


_STEPS = (
    ("/pre-authorized-data", "push"),
    ("/credential-offer-data/", "offer"),
    ("/oauth/token", "token"),
    ("/issuance/credential", "credential"),
    ("/credentials/v2/status", "status"),
    ("/.well-known/", "metadata"),
)


def _step(url: str) -> str:
    """The metrics label for a request: a fixed name, never the URL (offer ids would explode it)."""
    return next((step for part, step in _STEPS if part in url), "other")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _quote(value: object, *, quoted: bool = True) -> str:
    """A value the server sent, shortened for a message."""
    text = str(value)
    text = text if len(text) <= 200 else text[:197] + "…"
    return repr(text) if quoted else text


def _parse_optional_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def default_client() -> CertifyClient:
    return _client(
        settings.INJI_API_URL,
        settings.INJI_ISSUER_DID,
        settings.INJI_CREDENTIAL_CONFIGURATION_ID,
        settings.INJI_API_KEY,
        settings.INJI_TIMEOUT_SECONDS,
    )


@cache
def _client(api_url: str, issuer_did: str, configuration_id: str, gateway_key: str, timeout: int) -> CertifyClient:
    return CertifyClient(
        api_url,
        issuer_did=issuer_did,
        configuration_id=configuration_id,
        holder=holder_key(),
        gateway_key=gateway_key,
        timeout=timeout,
    )
