"""A fake Inji Certify on 127.0.0.1 that enforces the real request rules and injects faults.

It serves the OpenID4VCI issuer metadata, an OAuth client-credentials token endpoint and the
credential endpoint. Requests must carry a valid bearer token and a proof JWT signed by the
holder's did:key with aud = the issuer, a recent iat and a c_nonce it issued that has not expired; the body must be
an ldp_vc request with a credential_definition. Tell it to fail with `fail_next(mode, times)`.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.keys import SigningKey, public_key_from_multibase
from certificates.proofs import sign_ed25519_2020

ERROR_CODES = {
    "invalid_request": 400,
    "invalid_credential_request": 400,
    "unsupported_credential_type": 400,
    "unsupported_credential_format": 400,
    "invalid_scope": 400,
    "vc_issuance_failed": 400,
    "invalid_proof_no_nonce": 400,
    "invalid_token": 401,
}
FAULTS = {"500", "503", "stall", "garbage", "wrong_issuer", "html", *ERROR_CODES}


class FakeInjiCertify:
    def __init__(
        self, *, api_key: str = "test-api-key-4f9a", client_id: str = "agriqcert", client_secret: str = "s3cr3t"
    ):
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
        self.latency = 0.0
        self.presign = False  # sign the first credential only and answer every request with it
        self.presigned: dict | None = None
        self.stall_seconds = 5.0
        self.tokens: set[str] = set()
        self.nonces: dict[str, float] = {}  # c_nonce -> expiry; valid until then, as c_nonce_expires_in says
        self.c_nonce = self.new_nonce()
        self.requests: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()  # responses written in full
        self.issued: list[dict] = []
        self.last_body: dict | None = None
        self.last_authorization = ""
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/certify"

    @property
    def did(self) -> str:
        return self.key.did

    def start(self) -> FakeInjiCertify:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_nonce(self) -> str:
        nonce = secrets.token_urlsafe(12)
        self.nonces[nonce] = time.time() + 300
        self.c_nonce = nonce
        return nonce

    def expire_nonces(self) -> None:
        self.nonces.clear()

    def fail_next(self, mode: str, times: int = 1) -> None:
        assert mode in FAULTS, mode
        with self._lock:
            self._faults.extend([mode] * times)

    def _take_fault(self) -> str | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    # -- request handling -------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Send headers and body in one segment; otherwise Nagle + delayed ACK add ~40 ms per answer.
            disable_nagle_algorithm = True
            wbufsize = -1

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests["GET " + self.path] += 1
                if self.path == "/v1/certify/.well-known/openid-credential-issuer":
                    self.answer(200, fake.metadata())
                else:
                    self.answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                fake.requests["POST " + self.path] += 1
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path == "/v1/certify/oauth/token":
                    self.answer(*fake.token(self.headers.get("Authorization", ""), raw))
                elif self.path == "/v1/certify/issuance/credential":
                    self.answer(*fake.credential(self.headers.get("Authorization", ""), raw), stall=True)
                else:
                    self.answer(404, {"error": "not_found"})

            def answer(self, status: int, payload: object, stall: bool = False) -> None:
                if isinstance(payload, bytes):
                    body, kind = payload, "text/html"
                else:
                    body, kind = json.dumps(payload).encode(), "application/json"
                if stall and status == -1:
                    time.sleep(fake.stall_seconds)
                    status, body = 200, b"{}"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    fake.answered[f"{self.command} {self.path}"] += 1
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def metadata(self) -> dict:
        return {
            "credential_issuer": self.url,
            "credential_endpoint": self.url + "/issuance/credential",
            "token_endpoint": self.url + "/oauth/token",
            "credential_configurations_supported": {
                "AgriQualityCertificate": {"format": "ldp_vc", "proof_types_supported": {"jwt": {}}}
            },
        }

    def token(self, authorization: str, raw: bytes) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != expected or b"grant_type=client_credentials" not in raw:
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 300, "c_nonce": self.c_nonce}

    def credential(self, authorization: str, raw: bytes) -> tuple[int, object]:
        if self.latency:
            time.sleep(self.latency)
        self.last_authorization = authorization
        fault = self._take_fault()
        if fault in ("500", "503"):
            return int(fault), {"error": "server_error", "error_description": "try again"}
        if fault == "stall":
            return -1, {}
        if fault == "garbage":
            return 200, b"\x00not json{"
        if fault == "html":
            return 502, b"<html><body>Bad gateway</body></html>"
        if fault == "invalid_token":
            self.tokens.clear()
        elif fault in ERROR_CODES and fault != "invalid_proof_no_nonce":
            return ERROR_CODES[fault], {"error": fault, "error_description": f"refused: {fault}"}
        if fault == "invalid_proof_no_nonce":
            return 400, {"error": "invalid_proof", "error_description": "proof rejected"}

        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or (token != self.api_key and token not in self.tokens):
            return 401, {"error": "invalid_token", "error_description": "the access token is invalid or expired"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"error": "invalid_request", "error_description": "body is not JSON"}
        self.last_body = body
        problem = self.check_body(body)
        if problem:
            return 400, {"error": "invalid_request", "error_description": problem}
        problem = self.check_proof(body["proof"]["jwt"])
        if problem:
            return 400, {"error": "invalid_proof", "error_description": problem, "c_nonce": self.new_nonce()}
        if self.presigned is not None and fault is None:
            # Benchmarks: measure the client and worker, not this fake's signing (the proof no longer matches).
            credential = {**self.presigned, "id": f"urn:uuid:{uuid.uuid4()}"}
        else:
            credential = self.sign(body["credential_definition"], wrong_issuer=fault == "wrong_issuer")
            if self.presign:
                self.presigned = credential
        if self.presigned is None:
            self.issued.append(credential)
        return 200, {"credential": credential, "c_nonce": self.c_nonce, "c_nonce_expires_in": 300}

    @staticmethod
    def check_body(body: object) -> str | None:
        if not isinstance(body, dict) or body.get("format") != "ldp_vc":
            return "format must be ldp_vc"
        definition = body.get("credential_definition")
        if not isinstance(definition, dict):
            return "credential_definition is required"
        if not isinstance(definition.get("@context"), list) or not isinstance(definition.get("type"), list):
            return "credential_definition needs @context and type arrays"
        proof = body.get("proof")
        if not isinstance(proof, dict) or proof.get("proof_type") != "jwt" or not isinstance(proof.get("jwt"), str):
            return "proof must be {proof_type: jwt, jwt}"
        return None

    def check_proof(self, token: str) -> str | None:
        try:
            header = jwt.get_unverified_header(token)
            kid = header["kid"]
            did = kid.split("#", 1)[0]
            public_key = public_key_from_multibase(did.removeprefix("did:key:"))
            claims = jwt.decode(token, public_key, algorithms=["EdDSA"], audience=self.url)
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            return f"proof JWT rejected: {exc}"
        if header.get("typ") != "openid4vci-proof+jwt":
            return "proof JWT typ must be openid4vci-proof+jwt"
        if abs(time.time() - claims.get("iat", 0)) > 300:
            return "proof JWT iat is not recent"
        if self.nonces.get(claims.get("nonce"), 0) < time.time():
            return "c_nonce missing or stale"
        return None

    def sign(self, definition: dict, *, wrong_issuer: bool = False) -> dict:
        issuer = "did:key:z6MkWrongIssuer" if wrong_issuer else self.did
        document = {
            "@context": definition["@context"],
            "id": f"urn:uuid:{secrets.token_hex(4)}-0000-4000-8000-{secrets.token_hex(6)}",
            "type": definition["type"],
            "issuer": issuer,
            "validFrom": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "validUntil": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 365 * 86400)),
            "credentialSubject": definition.get("credentialSubject", {}),
        }
        return sign_ed25519_2020(document, self.key, document["validFrom"])


def serve_forever(latency: float) -> None:
    """Run a fake Inji Certify in this process until killed; prints its URL, DID and API key."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
    import django

    django.setup()
    server = FakeInjiCertify().start()
    server.latency = latency
    server.presign = True
    print(json.dumps({"url": server.url, "did": server.did, "api_key": server.api_key}), flush=True)
    threading.Event().wait()
