"""A strict fake of Inji Certify v0.14's Pre-Authorized Code flow, on a real HTTP server on 127.0.0.1.

It is configured the way an operator configures Certify: with the credential configuration that
`manage.py inji_credential_configuration` prints (deploy/inji's template inside), and it renders
credentials from that template and the pushed claims only. Every rule cites the file it follows in
repository inji/inji-certify at tag v0.14.0 (paths under certify-service/src/main/java/io/mosip/
certify/ unless they start with certify-core/). It refuses what the real server refuses; what it
adds is the operator's gateway (`gateway_key`) in front of the unauthenticated pre-authorized-data
and status endpoints, fault injection (`fail_next`), and a request log (`log`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from jwt.api_jws import PyJWS

from credentials.keys import SigningKey, multibase_decode
from tests.inji_certify_signing import certify_time, sign_as_inji_certify

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
PROOF_TYP = "openid4vci-proof+jwt"
STATUS_LIST_SIZE = 131_072
FAULTS = {"500", "503", "stall", "garbage", "html"}


class FakeInjiCertify:
    def __init__(
        self,
        configuration: dict | None = None,
        *,
        gateway_key: str = "",
        proof_algs: tuple[str, ...] = ("RS256", "PS256", "ES256", "Ed25519"),
        c_nonce_expire_seconds: int = 40,
    ) -> None:
        if configuration is None:
            from issuance.inji.configuration import credential_configuration

            configuration = credential_configuration()
        self.issuer_key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
        # The operator sets the configuration's didUrl to Certify's own DID; here that is this key's.
        self.configuration = {**configuration, "didUrl": self.issuer_key.did}
        self.gateway_key = gateway_key
        # mosip.certify.credential-config.proof-types-supported (docker-compose certify-default.properties)
        self.proof_algs = list(proof_algs)
        self.c_nonce_expire_seconds = c_nonce_expire_seconds  # mosip.certify.cnonce-expire-seconds
        self.token_key = ec.generate_private_key(ec.SECP256R1())
        self.latency = 0.0  # seconds, before answering a credential request
        self.latency_per_request = 0.0  # seconds, before answering any request (benchmarks)
        self.stall_seconds = 5.0
        self.stale_nonces = 0  # the next N credential requests find their c_nonce expired
        # A Certify whose authn.* properties do not match its oauth.* ones refuses its own tokens.
        self.rejects_its_own_tokens = False
        self.metadata_overrides: dict = {}  # e.g. a credential_endpoint on another origin
        self.offers: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.transactions: dict[str, dict] = {}
        self.status_lists: dict[str, bytearray] = {"agri-1": bytearray(STATUS_LIST_SIZE // 8)}
        self.next_index = 0
        self.issued: list[dict] = []
        self.log: list[dict] = []
        self.requests: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()  # responses written in full
        self._faults: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- the server's identity ---------------------------------------------------------------

    @property
    def identifier(self) -> str:
        """mosip.certify.identifier = mosip.certify.domain.url (certify-default.properties)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """INJI_API_URL: the domain plus server.servlet.path /v1/certify."""
        return self.identifier + "/v1/certify"

    @property
    def did(self) -> str:
        return self.issuer_key.did

    def start(self) -> FakeInjiCertify:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, path: str, fault: str, times: int = 1) -> None:
        """Make the next `times` requests to `path` (e.g. '/issuance/credential') fail with `fault`."""
        assert fault in FAULTS, fault
        with self._lock:
            self._faults.extend([(path, fault)] * times)

    def revoked(self, list_url: str, index: int) -> bool:
        bits = self.status_lists[list_url.rsplit("/", 1)[-1]]
        return bool(bits[index // 8] & (0x80 >> (index % 8)))

    def requests_to(self, path: str) -> list[dict]:
        return [entry for entry in self.log if entry["path"] == "/v1/certify" + path]

    def _fault_for(self, path: str) -> str | None:
        with self._lock:
            for position, (faulty_path, fault) in enumerate(self._faults):
                if faulty_path == path:
                    del self._faults[position]
                    return fault
        return None

    # -- HTTP ----------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body in one segment; otherwise Nagle + delayed ACK add ~40 ms per answer.
            disable_nagle_algorithm = True
            wbufsize = -1

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _serve(self, raw: bytes) -> None:
                if fake.latency_per_request:
                    time.sleep(fake.latency_per_request)
                path = self.path.split("?", 1)[0]
                fake.requests[f"{self.command} {path}"] += 1
                fake.log.append({"method": self.command, "path": path, "headers": dict(self.headers), "body": raw})
                route = path.removeprefix("/v1/certify")
                fault = fake._fault_for(route) or fake._fault_for(route.rsplit("/", 1)[0] + "/")
                if not path.startswith("/v1/certify/"):  # every controller lives under server.servlet.path
                    status, payload = 404, {"error": "not_found"}
                elif fault:
                    status, payload = fake._fault(fault)
                else:
                    status, payload = fake.route(self.command, route, self.headers, raw)
                self._answer(status, payload)

            def _answer(self, status: int, payload: object) -> None:
                if isinstance(payload, bytes):
                    body, kind = payload, "text/html"
                else:
                    body, kind = json.dumps(payload).encode(), "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    fake.answered[f"{self.command} {self.path.split('?', 1)[0]}"] += 1
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def _fault(self, fault: str) -> tuple[int, object]:
        if fault == "stall":
            time.sleep(self.stall_seconds)
            return 200, {}
        if fault == "garbage":
            return 200, b"\x00not json{"
        if fault == "html":
            return 502, b"<html><body>Bad gateway</body></html>"
        return int(fault), {"error": "server_error", "error_description": "try again"}

    def route(self, method: str, route: str, headers, raw: bytes) -> tuple[int, object]:
        if method == "GET" and route == "/.well-known/openid-credential-issuer":
            return 200, self.issuer_metadata()
        if method == "GET" and route == "/.well-known/oauth-authorization-server":
            return 200, self.authorization_server_metadata()
        if method == "POST" and route == "/pre-authorized-data":
            return self.gateway(headers) or self.pre_authorized_data(raw)
        if method == "GET" and route.startswith("/credential-offer-data/"):
            return self.credential_offer(route.removeprefix("/credential-offer-data/"))
        if method == "POST" and route == "/oauth/token":
            return self.token(headers.get("Content-Type", ""), raw)
        if method == "POST" and route == "/issuance/credential":
            if self.latency:
                time.sleep(self.latency)
            return self.credential(headers.get("Authorization", ""), raw)
        if method == "GET" and route.startswith("/credentials/status-list/"):
            return self.status_list(route.removeprefix("/credentials/status-list/"))
        if method == "POST" and route == "/credentials/v2/status":
            return self.gateway(headers) or self.update_status(raw)
        return 404, {"error": "not_found"}

    def gateway(self, headers) -> tuple[int, object] | None:
        """The operator's gateway: Certify itself leaves these endpoints open (certify-default.properties,
        mosip.certify.security.ignore-auth-urls lists pre-authorized-data and credentials)."""
        if self.gateway_key and headers.get("Authorization") != f"Bearer {self.gateway_key}":
            return 401, {"error": "unauthorized"}
        return None

    # -- discovery -------------------------------------------------------------------------------

    def issuer_metadata(self) -> dict:
        """WellKnownController.java → CredentialConfigurationServiceImpl.fetchCredentialIssuerMetadata:
        credential_issuer is the domain URL, authorization_servers the authorization URL (the
        domain here), and each configuration maps to a credential_configurations_supported entry."""
        config = self.configuration
        return self.metadata_overrides | {
            "credential_issuer": self.identifier,
            "authorization_servers": [self.identifier],
            "credential_endpoint": self.metadata_overrides.get(
                "credential_endpoint", self.url + "/issuance/credential"
            ),
            "credential_configurations_supported": {
                config["credentialConfigKeyId"]: {
                    "format": config["credentialFormat"],
                    "scope": config["scope"],
                    "cryptographic_binding_methods_supported": ["did:jwk", "did:key"],
                    "credential_signing_alg_values_supported": [config["signatureCryptoSuite"]],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": self.proof_algs}},
                    "credential_definition": {
                        "type": config["credentialTypes"],
                        "@context": config["contextURLs"],
                        "credentialSubject": config["credentialSubjectDefinition"],
                    },
                    "display": config["metaDataDisplay"],
                    "order": config.get("displayOrder"),
                }
            },
        }

    def authorization_server_metadata(self) -> dict:
        """OAuthController.java /.well-known/oauth-authorization-server, served under the servlet path
        (so not at the RFC 8414 location derived from authorization_servers)."""
        return {
            "issuer": self.identifier,
            "token_endpoint": self.url + "/oauth/token",
            "jwks_uri": self.url + "/.well-known/jwks.json",
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        }

    # -- step 1: pre-authorized data (PreAuthorizedCodeController.java, PreAuthorizedCodeService.java) --

    def pre_authorized_data(self, raw: bytes) -> tuple[int, object]:
        try:
            request = json.loads(raw)
        except ValueError:
            return internal_error("unknown_error", "JSON parse error")  # HttpMessageNotReadable → UNKNOWN_ERROR
        if not isinstance(request, dict):
            return internal_error("unknown_error", "JSON parse error")
        # certify-core/.../dto/PreAuthorizedRequest.java bean validation: errorCode is the message
        # (ExceptionHandlerAdvice.handleInternalControllerException, MethodArgumentNotValidException).
        expires_in = request.get("expires_in")
        for broken, message, field in (
            (not request.get("credential_configuration_id"), "Credential configuration ID is required", "id"),
            (not isinstance(request.get("claims"), dict), "Claims are required", "claims"),
            (isinstance(expires_in, int) and expires_in < 60, "Minimum expiry is 60 seconds", "expiresIn"),
            (isinstance(expires_in, int) and expires_in > 86400, "Maximum expiry is 24 hours", "expiresIn"),
        ):
            if broken:
                return internal_error(message, f"{field}: {message}")
        config_id = request["credential_configuration_id"]
        if config_id != self.configuration["credentialConfigKeyId"]:
            return internal_error("invalid_credential_configuration_id", "invalid_credential_configuration_id")
        expiry = expires_in if expires_in is not None else 600  # default-expiry-seconds
        if not 60 <= expiry <= 3600:  # pre-auth-code.min/max-expiry-seconds (certify-default.properties)
            return internal_error("invalid_expiry_range", "invalid_expiry_range")
        # validateClaimsForLDPVC: every claim must be a key of credential_definition.credentialSubject.
        if set(request["claims"]) - set(self.configuration["credentialSubjectDefinition"]):
            return internal_error("unknown_claims", "unknown_claims")
        code = "".join(
            secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32)
        )
        self.codes[code] = {"claims": request["claims"], "expires_at": time.time() + expiry, "used": False}
        offer_id = str(uuid.uuid4())
        self.offers[offer_id] = {
            "credential_issuer": self.identifier,
            "credential_configuration_ids": [config_id],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code}},
        }
        offer_url = f"{self.url}/credential-offer-data/{offer_id}"  # mosip.certify.credential-offer-url
        return 200, {"credential_offer_uri": "openid-credential-offer://?credential_offer_uri=" + quote(offer_url, "")}

    # -- step 2: the offer (PreAuthorizedCodeService.getCredentialOffer) ------------------------

    def credential_offer(self, offer_id: str) -> tuple[int, object]:
        try:
            uuid.UUID(offer_id.strip())
        except ValueError:
            return internal_error("invalid_offer_id_format", "invalid_offer_id_format")
        offer = self.offers.get(offer_id.strip())
        if offer is None:
            return internal_error("credential_offer_not_found", "Credential offer not found or expired")
        return 200, offer

    # -- step 3: the token (OAuthController.processTokenRequest, PreAuthorizedCodeService) -----

    def token(self, content_type: str, raw: bytes) -> tuple[int, object]:
        if not content_type.startswith("application/x-www-form-urlencoded"):  # consumes = FORM_URLENCODED
            return 415, {"error": "invalid_request", "error_description": "Content type not supported"}
        form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", "grant_type is required")
        if grant_type != PRE_AUTHORIZED_GRANT:
            return oauth_error("invalid_request", "authorization_code flow is not configured here")
        code = form.get("pre-authorized_code") or ""  # the parameter is "pre-authorized_code"
        with self._lock:  # claimPreAuthCode is atomic: a code is spent once
            data = self.codes.get(code)
            if data is None or data["used"]:
                return oauth_error("invalid_grant", "Pre-authorized code has already been used  or invalid")
            data["used"] = True
        if data["expires_at"] < time.time():  # "pre_auth_code_expired" maps to invalid_request
            return oauth_error("invalid_request", "Pre-authorized code has expired")
        c_nonce = secrets.token_urlsafe(15)
        now = int(time.time())
        token = jwt.encode(
            {
                "iss": self.identifier,  # mosip.certify.oauth.issuer
                "aud": self.url + "/issuance/credential",  # oauth.access-token.audience
                "sub": hashlib.sha256(json.dumps(data["claims"], sort_keys=True).encode()).hexdigest(),
                "client_id": "",  # generateSignedJwt(claims, scope, "", …): no client
                "scope": self.configuration["scope"],
                "c_nonce": c_nonce,
                "iat": now - 1,
                "exp": now + 600,
            },
            self.token_key,
            algorithm="ES256",
        )
        self.transactions[at_hash(token)] = {"claims": data["claims"], "c_nonce": c_nonce, "issued": now}
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 600,
            "c_nonce": c_nonce,
            "c_nonce_expires_in": self.c_nonce_expire_seconds,
        }

    def expire_nonces(self) -> None:
        """Let every c_nonce handed out so far expire (they last 40 s by default)."""
        for transaction in self.transactions.values():
            transaction["issued"] -= self.c_nonce_expire_seconds + 1

    # -- step 4: the credential (VCIssuanceController.java, CertifyIssuanceServiceImpl.getCredential) --

    def credential(self, authorization: str, raw: bytes) -> tuple[int, object]:
        try:
            request = json.loads(raw)
        except ValueError:
            return vc_error(400, "invalid_request", "JSON parse error")
        if not isinstance(request, dict) or not request.get("format"):
            return vc_error(400, "invalid_vc_format")  # CredentialRequest.format @NotBlank
        if not isinstance(request.get("proof"), dict):
            return vc_error(400, "invalid_proof")  # CredentialRequest.proof @NotNull
        if not request["proof"].get("proof_type"):
            return vc_error(400, "unsupported_proof_type")
        if request["format"] != "ldp_vc":
            return vc_error(400, "unsupported_credential_format")  # CredentialRequestValidator.java
        definition = request.get("credential_definition")
        if not (isinstance(definition, dict) and definition.get("@context") and definition.get("type")):
            return vc_error(400, "invalid_credential_request")  # LdpVcCredentialRequestValidator.java
        token = self.access_token(authorization)
        if token is None:
            return vc_error(401, "invalid_token")  # NotAuthenticatedException
        configuration = self.configuration
        if token.get("scope") != configuration["scope"]:
            return vc_error(400, "invalid_scope", "No credential mapping found for the provided scope.")
        # VCIssuanceUtil.isValidLdpVCRequest: same sizes, and the configuration's sets contain them.
        context, types = definition["@context"], definition["type"]
        if (
            len(context) != len(configuration["contextURLs"])
            or len(types) != len(configuration["credentialTypes"])
            or not set(context) <= set(configuration["contextURLs"])
            or not set(types) <= set(configuration["credentialTypes"])
        ):
            return vc_error(400, "invalid_credential_request", "No matching ldp_vc credential configuration found")
        transaction = self.transactions.get(at_hash(authorization.removeprefix("Bearer ")))
        if transaction is None:
            return vc_error(400, "invalid_credential_request", "Cached transaction is null or of incorrect type")
        return self.issue(transaction, request["proof"], types)

    def access_token(self, authorization: str) -> dict | None:
        """filter/AccessTokenValidationFilter.java: a JWT this authorization server signed, for this
        audience, with sub and client_id present, iat in the past and exp in the future."""
        if not authorization.startswith("Bearer ") or self.rejects_its_own_tokens:
            return None
        try:
            claims = jwt.decode(
                authorization.removeprefix("Bearer "),
                self.token_key.public_key(),
                algorithms=["ES256", "RS256", "PS256"],
                audience=self.url + "/issuance/credential",
                issuer=self.identifier,
                options={"require": ["sub", "iat", "exp"]},
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("client_id") is not None and claims["iat"] < time.time() else None

    def issue(self, transaction: dict, proof: dict, types: list[str]) -> tuple[int, object]:
        # VCIssuanceUtil.getValidClientNonce: an expired c_nonce is replaced and refused with the new one.
        with self._lock:
            stale, self.stale_nonces = self.stale_nonces > 0, max(0, self.stale_nonces - 1)
        if stale or transaction["issued"] + self.c_nonce_expire_seconds < time.time():
            transaction.update(c_nonce=secrets.token_urlsafe(15), issued=int(time.time()))
            return nonce_error(transaction["c_nonce"], self.c_nonce_expire_seconds)
        # JwtProofValidator.validateCNonce: the proof's nonce must be the current c_nonce.
        try:
            proof_nonce = jwt.decode(proof.get("jwt") or "", options={"verify_signature": False}).get("nonce")
        except jwt.PyJWTError:
            return vc_error(400, "invalid_proof", "Error encountered during proof jwt parsing.")
        if proof_nonce != transaction["c_nonce"]:
            return nonce_error(transaction["c_nonce"], self.c_nonce_expire_seconds)
        holder = self.check_proof(proof.get("jwt") or "", transaction["c_nonce"])
        if holder is None:
            return vc_error(400, "invalid_proof", "Error encountered during proof jwt parsing.")
        if not set(self.configuration["credentialTypes"]) <= set(types):
            return vc_error(400, "unsupported_credential_type")  # validateLdpVcFormatRequest
        credential = self.render(transaction["claims"], holder)
        self.issued.append(credential)
        return 200, {"credential": credential}

    def check_proof(self, token: str, c_nonce: str) -> str | None:
        """proof/JwtProofValidator.validate; returns the holder's did:key, or None when refused."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        if header.get("typ") != PROOF_TYP or header.get("alg") not in self.proof_algs:
            return None  # PROOF_HEADER_INVALID_TYP / PROOF_HEADER_INVALID_ALG
        kid, jwk_header = header.get("kid"), header.get("jwk")
        if (kid is None) == (jwk_header is None) or not str(kid).startswith("did:key:"):
            return None  # PROOF_HEADER_INVALID_KEY / AMBIGUOUS_KEY (did:jwk and jwk not emulated)
        key = did_key_public_key(kid)
        if key is None:
            return None
        verifier = PyJWS(algorithms=[])
        verifier.register_algorithm("ES256", ECAlgorithm(ECAlgorithm.SHA256))
        verifier.register_algorithm("Ed25519", OKPAlgorithm())
        try:
            claims = json.loads(verifier.decode(token, key, algorithms=[header["alg"]]))
        except (jwt.PyJWTError, ValueError):
            return None
        # DefaultJWTClaimsVerifier(aud=identifier, nonce=c_nonce; required aud, iat; iss only if = client_id "")
        if claims.get("aud") != self.identifier or claims.get("nonce") != c_nonce or "iat" not in claims:
            return None
        if "iss" in claims and claims["iss"] != "":
            return None
        if "exp" in claims and claims["exp"] < time.time():
            return None
        return kid

    # -- the credential: the configuration's Velocity template over the pushed claims ------------

    def render(self, claims: dict, holder: str) -> dict:
        """CertifyIssuanceServiceImpl.getVerifiableCredential + VelocityTemplatingEngineImpl.format,
        signed by W3CJsonLD.addProof as Certify signs (tests/inji_certify_signing.py)."""
        now = datetime.now(UTC)
        params = {
            **{key: java_json(value) for key, value in claims.items()},
            "_issuer": self.configuration["didUrl"],
            # CertifyIssuanceServiceImpl.java:256-268: now and now + vc-expiry-duration (P730D), to the
            # millisecond (UTC_DATETIME_PATTERN); the proof's created is validFrom to the second.
            "validFrom": certify_time(now),
            "validUntil": certify_time(now + timedelta(days=730)),
            "_holderId": holder,
        }
        template = base64.b64decode(self.configuration["vcTemplate"]).decode()
        document = json.loads(render_velocity(template, params))
        document["id"] = f"urn:uuid:{uuid.uuid4()}"  # data-provider-plugin.id-field-prefix-uri
        # StatusListCredentialService.addCredentialStatus: only for VC 2.0 contexts with a status purpose.
        if "https://www.w3.org/ns/credentials/v2" in document["@context"] and self.configuration.get(
            "credentialStatusPurposes"
        ):
            with self._lock:
                index, self.next_index = self.next_index, self.next_index + 1
            list_url = f"{self.url}/credentials/status-list/agri-1"
            document["credentialStatus"] = {
                "id": f"{list_url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(index),
                "statusListCredential": list_url,
            }
        return sign_as_inji_certify(document, self.issuer_key)

    # -- revocation (CredentialStatusController.java, CredentialStatusServiceImpl.java) ----------

    def status_list(self, list_id: str) -> tuple[int, object]:
        """The list as StatusListCredentialService.generateStatusListCredential builds it (lines
        131-164) and StatusListUpdateBatchJob.updateStatusListCredential renews it (lines 188-199):
        only the VC 2.0 context (138-140), so a verifier must read its proof options Certify's way;
        the list's URL as both its id and its subject's (133, 147, 152); the DID as issuer (148); a
        validFrom of the last update to the millisecond (149, 194-195). Signed by the same
        W3CJsonLD.addProof as credentials (addProofAndHandleResult, lines 316-338)."""
        bits = self.status_lists.get(list_id)
        if bits is None:
            return internal_error("status_list_not_found_for_the_given_id", "Status List Credential not found")
        encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).decode().rstrip("=")
        url = f"{self.url}/credentials/status-list/{list_id}"
        document = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "id": url,
            "issuer": self.did,
            "validFrom": certify_time(datetime.now(UTC)),
            "credentialSubject": {
                "id": url,
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded,
            },
        }
        return 200, sign_as_inji_certify(document, self.issuer_key)

    def update_status(self, raw: bytes) -> tuple[int, object]:
        try:
            request = json.loads(raw)
        except ValueError:
            return internal_error("unknown_error", "JSON parse error")
        status = request.get("credentialStatus") if isinstance(request, dict) else None
        if not isinstance(status, dict) or request.get("status") is None:
            return internal_error("must not be null", "credentialStatus: must not be null")
        if status.get("statusListIndex") is None or status.get("statusListCredential") is None:
            return internal_error("must not be null", "credentialStatus.statusListIndex: must not be null")
        # CredentialStatusServiceImpl.java (v0.14.0) updateCredentialStatusV2, lines 77-85: the value is
        # looked up as the list's database id (findById), the bare id StatusListCredentialService.java
        # generates (line 132, UUID) and only the issued credential's URL ends with (line 302): a URL
        # is not found. An `id` other than that value is refused first (lines 79-82).
        list_id = status["statusListCredential"]
        if status.get("id") is not None and status["id"] != list_id:
            return internal_error("status_id_mismatch", "Mismatch between credential status ID and Status List")
        bits = self.status_lists.get(str(list_id))
        if bits is None:
            return internal_error(
                "status_list_not_found_for_the_given_id", f"Status List Credential not found for ID: {list_id}"
            )
        index = int(status["statusListIndex"])
        if request["status"]:
            bits[index // 8] |= 0x80 >> (index % 8)
        else:
            bits[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
        return 200, {"statusListCredentialUrl": list_id, "statusListIndex": index, "statusPurpose": "revocation"}


# -- the answers' shapes (ExceptionHandlerAdvice.java) ------------------------------------------


def issuing_through(settings, tmp_path, gateway_key: str) -> Iterator[FakeInjiCertify]:
    """A started fake, and the app's settings pointing at it as an operator sets them (README:
    "Connecting to Inji Certify"); for a fixture to `yield from`."""
    server = FakeInjiCertify(gateway_key=gateway_key).start()
    settings.INJI_MOCK_MODE = False
    settings.INJI_API_URL = server.url
    settings.INJI_ISSUER_DID = server.did
    settings.INJI_API_KEY = gateway_key
    settings.INJI_HOLDER_KEY_FILE = tmp_path / "holder.key"
    try:
        yield server
    finally:
        server.stop()


def internal_error(code: str, message: str) -> tuple[int, object]:
    """handleInternalControllerException: HTTP 200, a ResponseWrapper with an errors list."""
    return 200, {
        "responseTime": datetime.now(UTC).isoformat(),
        "response": None,
        "errors": [{"errorCode": code, "errorMessage": message}],
    }


def oauth_error(error: str, description: str) -> tuple[int, object]:
    """handleOAuthControllerExceptions: invalid_client → 401, server_error → 500, the rest 400."""
    status = {"invalid_client": 401, "server_error": 500}.get(error, 400)
    return status, {"error": error, "error_description": description}


def vc_error(status: int, error: str, description: str = "") -> tuple[int, object]:
    """handleVCIControllerExceptions: a VCError {error, error_description}."""
    return status, {"error": error, "error_description": description or error}


def nonce_error(c_nonce: str, expires_in: int) -> tuple[int, object]:
    """VCIssuanceController.invalidNonceExceptionHandler: 400 invalid_proof with a c_nonce."""
    return 400, {
        "error": "invalid_proof",
        "error_description": "invalid_proof",
        "c_nonce": c_nonce,
        "c_nonce_expires_in": expires_in,
    }


def at_hash(token: str) -> str:
    """CommonUtil.generateOIDCAtHash: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def did_key_public_key(kid: str) -> Ed25519PublicKey | ec.EllipticCurvePublicKey | None:
    """proof/DIDkeysProofManager.getKeyFromHeader: Ed25519 (0xed01) and P-256 (0x8024) did:keys."""
    try:
        data = multibase_decode(kid.removeprefix("did:key:").split("#", 1)[0])
    except ValueError:
        return None
    if data[:2] == b"\xed\x01" and len(data) == 34:
        return Ed25519PublicKey.from_public_bytes(data[2:])
    if data[:2] == b"\x80\x24" and len(data) == 35:
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[2:])
        except ValueError:
            return None
    return None


def java_json(value: object) -> object:
    """What org.json makes of a claim (CredentialUtils.toJsonMap): a double with no fraction prints
    as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: java_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [java_json(item) for item in value]
    return value


_REFERENCE = re.compile(
    r"\$_esc\.json\(\$([A-Za-z_][A-Za-z0-9_]*)\)|\$!?\{([A-Za-z_][A-Za-z0-9_]*)\}|\$!?([A-Za-z_][A-Za-z0-9_]*)"
)


def render_velocity(template: str, params: dict) -> str:
    """The subset of Velocity our template uses: $x, ${x}, $!x and $_esc.json($x). A map or list
    renders as JSON (org.json's toString), a string as itself, an unknown reference literally."""

    def value(match: re.Match) -> str:
        escaped, braced, plain = match.groups()
        name = escaped or braced or plain
        if name not in params:
            return "" if match.group(0).startswith("$!") else match.group(0)
        item = params[name]
        if escaped:
            return json.dumps(str(item))[1:-1]
        if isinstance(item, str):
            return item
        return json.dumps(item, ensure_ascii=False)

    return _REFERENCE.sub(value, template)


def serve_forever(latency: float) -> None:
    """Run a fake Inji Certify in this process until killed, answering every request after
    `latency` seconds (as a distant server would); prints its URL and issuer DID."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
    import django

    django.setup()
    server = FakeInjiCertify().start()
    server.latency_per_request = latency
    print(json.dumps({"url": server.url, "did": server.did}), flush=True)
    threading.Event().wait()
