"""Status lists and DID documents are fetched only inside the fence: by normalised URL, over https
or loopback http, with no redirect, at most MAX_BYTES and within a total deadline, and only for
issuers the policy trusts. Against a real HTTP server on 127.0.0.1 that records what it saw."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.fetching import MAX_BYTES, FetchError, fetch_json, normalise_url, shown, url_within
from credentials.keys import SigningKey
from credentials.policy import VerificationPolicy
from credentials.proofs import sign_ed25519_2020
from credentials.status_list import encode_bitstring
from credentials.verification import check_revocation, verify_credential

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/suites/ed25519-2020/v1"]


class RecordingServer:
    """Answers each path with the function it was given; records the paths it was asked for, the
    bytes it managed to send, and whether the client hung up before it had sent everything."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.seen: list[str] = []
        self.sent = 0
        self.hung_up = threading.Event()
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.seen.append(self.path)
                route = server.routes.get(self.path, answer_json({"error": "not found"}, status=404))
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    server.hung_up.set()

        return Handler

    def send(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        self.sent += len(data)


def answer_json(document: object, status: int = 200) -> Callable[[BaseHTTPRequestHandler], None]:
    body = json.dumps(document).encode()

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@pytest.fixture
def server():
    running = RecordingServer()
    yield running
    running.stop()


@pytest.fixture
def issuer() -> SigningKey:
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def fenced(server: RecordingServer, **changes) -> VerificationPolicy:
    return VerificationPolicy(status_list_prefixes=frozenset({server.origin + "/lists/"}), **changes)


def status_entry(url: str, index: int = 7) -> dict:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def credential_naming(url: str, issuer: SigningKey) -> dict:
    unsigned = {
        "@context": CONTEXTS,
        "id": "urn:uuid:6a9a4c1e-3f0e-4f5e-9b7e-0c1d2e3f4a5b",
        "type": ["VerifiableCredential"],
        "issuer": issuer.did,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:holder"},
        "credentialStatus": status_entry(url),
    }
    return sign_ed25519_2020(unsigned, issuer, "2025-01-01T00:00:00Z")


def status_list(url: str, issuer: SigningKey, revoked: list[int]) -> dict:
    unsigned = {
        "@context": CONTEXTS,
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }
    return sign_ed25519_2020(unsigned, issuer, "2025-01-01T00:00:00Z")


def test_a_trusted_issuers_status_list_inside_the_fence_is_fetched_and_read(server, issuer):
    url = server.origin + "/lists/agri-1"
    server.routes["/lists/agri-1"] = answer_json(status_list(url, issuer, revoked=[7]))

    result = verify_credential(
        credential_naming(url, issuer), policy=fenced(server, trusted_issuers=frozenset({issuer.did}))
    )

    assert server.seen == ["/lists/agri-1"]
    assert result.revocation.ok is False and result.revocation.reason == "revoked by its issuer"


@pytest.mark.parametrize(
    "escape",
    [
        pytest.param("/lists/../../../x", id="dot segments"),
        pytest.param("/lists/%2e%2e/%2E%2E/x", id="percent-encoded dots"),
        pytest.param("/lists/.%2e/x", id="half-encoded dots"),
        pytest.param("/lists/a//../../x", id="repeated slashes"),
        pytest.param("/lists/..%2fx", id="encoded slash"),
        pytest.param("/lists/..%5cx", id="encoded backslash"),
        pytest.param("/lists/..;/x", id="path parameter"),
        pytest.param("/lists/%252e%252e/x", id="double encoding"),
        pytest.param("/lists-and-more/x", id="a longer name sharing the prefix's text"),
        pytest.param("/lists/x?next=/admin", id="a query"),
    ],
)
def test_a_path_that_leaves_the_allowed_prefix_is_refused_before_any_request(server, escape):
    policy = fenced(server, fetch=fetch_json)

    check = check_revocation({"credentialStatus": status_entry(server.origin + escape)}, policy=policy)

    assert check.ok is None and "does not fetch" in check.reason
    assert server.seen == []


@pytest.mark.parametrize(
    "elsewhere",
    [
        pytest.param("http://user:secret@{host}:{port}/lists/a", id="userinfo"),
        pytest.param("http://{host}:{port}@evil.example/lists/a", id="userinfo hiding the real host"),
        pytest.param("http://{host}:{other}/lists/a", id="another port"),
        pytest.param("https://{host}:{port}/lists/a", id="another scheme"),
        pytest.param("http://localhost:{port}/lists/a", id="another name for the host"),
        pytest.param("ftp://{host}:{port}/lists/a", id="not http"),
    ],
)
def test_another_origin_is_refused_before_any_request(server, elsewhere):
    host, port = server.origin.removeprefix("http://").split(":")
    url = elsewhere.format(host=host, port=port, other=int(port) + 1)

    check = check_revocation({"credentialStatus": status_entry(url)}, policy=fenced(server))

    assert check.ok is None and "does not fetch" in check.reason
    assert "secret" not in check.reason
    assert server.seen == []


def test_urls_are_compared_in_one_normal_form():
    prefix = "HTTPS://Certify.Example.ORG./v1/certify/credentials/status-list/"

    assert normalise_url("https://certify.example.org/a/./b/../c#frag") == "https://certify.example.org:443/a/c"
    assert normalise_url("https://certify.example.org/%7euser/%41") == "https://certify.example.org:443/~user/A"
    assert url_within("https://certify.example.org:443/v1/certify/credentials/status-list/agri-1", prefix)
    assert not url_within("https://certify.example.org:8443/v1/certify/credentials/status-list/agri-1", prefix)


@pytest.mark.parametrize(
    "url, cause",
    [
        ("http://certify.example.org/list", "plain http is fetched only from this machine"),
        ("https://user:pw@certify.example.org/list", "user name or password"),
        ("https://certify.example.org/a b", "characters a URL may not"),
        ("https://2130706433/list", "not a host name or IP address"),
        ("file:///etc/passwd", "only https"),
    ],
)
def test_the_fetcher_itself_refuses_what_the_fence_would(url, cause):
    with pytest.raises(FetchError, match=cause):
        fetch_json(url)


def test_a_redirect_is_not_followed(server):
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "/lists/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes["/lists/moved"] = redirect
    server.routes["/lists/elsewhere"] = answer_json({"followed": True})

    with pytest.raises(FetchError, match="redirect"):
        fetch_json(server.origin + "/lists/moved")
    assert server.seen == ["/lists/moved"]


def test_an_answer_larger_than_the_cap_is_cut_off_while_streaming(server):
    total = 64 * MAX_BYTES

    def endless_zeros(handler: BaseHTTPRequestHandler) -> None:  # no Content-Length: read until closed
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        while server.sent < total:
            server.send(handler, b" " * 65536)

    server.routes["/lists/huge"] = endless_zeros

    with pytest.raises(FetchError, match="larger than"):
        fetch_json(server.origin + "/lists/huge")
    assert server.hung_up.wait(10), "the fetcher kept reading"
    assert server.sent < total


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(server):
    def declared_huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(200 * MAX_BYTES))
        handler.end_headers()
        while not server.stopping.is_set():
            server.send(handler, b" " * 65536)

    server.routes["/lists/declared"] = declared_huge

    with pytest.raises(FetchError, match="larger than"):
        fetch_json(server.origin + "/lists/declared")
    assert server.hung_up.wait(10)


def test_a_server_sending_a_byte_at_a_time_is_cut_at_the_total_deadline(server):
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.flush()
        for _ in range(1000):  # each byte well within any read timeout
            if server.stopping.wait(0.2):
                return
            server.send(handler, b" ")

    server.routes["/lists/drip"] = drip

    with pytest.raises(FetchError, match="did not answer in full within 1 s"):
        fetch_json(server.origin + "/lists/drip", deadline_seconds=1)
    assert server.hung_up.wait(10), "the connection stayed open after the deadline"
    assert server.sent < 1000


def test_a_server_dripping_its_headers_is_cut_at_the_total_deadline(server):
    def drip_headers(handler: BaseHTTPRequestHandler) -> None:
        server.send(handler, b"HTTP/1.0 200 OK\r\n")
        for _ in range(1000):
            if server.stopping.wait(0.2):
                return
            server.send(handler, b"X: y\r\n")

    server.routes["/lists/slow-headers"] = drip_headers

    with pytest.raises(FetchError, match="within 1 s"):
        fetch_json(server.origin + "/lists/slow-headers", deadline_seconds=1)


def test_an_untrusted_issuers_status_list_is_not_fetched(server, issuer):
    url = server.origin + "/lists/agri-1"
    server.routes["/lists/agri-1"] = answer_json(status_list(url, issuer, revoked=[]))

    result = verify_credential(credential_naming(url, issuer), policy=fenced(server))

    assert result.signature.ok is True and result.trust.ok is False
    assert result.revocation.ok is None and "not one this service trusts" in result.revocation.reason
    assert server.seen == []


def test_fetch_errors_name_the_cause_never_the_urls_query(server):
    server.routes["/lists/broken?token=s3cret"] = answer_json({"error": "boom"}, status=500)
    closed_port = RecordingServer()
    closed_port.stop()

    with pytest.raises(FetchError) as refused_by_server:
        fetch_json(server.origin + "/lists/broken?token=s3cret")
    with pytest.raises(FetchError) as unreachable:
        fetch_json(closed_port.origin + "/lists/x?token=s3cret")

    assert str(refused_by_server.value) == "it answered HTTP 500"
    assert str(unreachable.value) == "it could not be reached"
    assert shown("https://user:pw@certify.example.org/lists/x?token=s3cret#f") == "https://certify.example.org/lists/x"


def test_an_answer_that_is_not_json_says_so(server):
    def html(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "15")
        handler.end_headers()
        handler.wfile.write(b"<html>hi</html>")

    server.routes["/lists/html"] = html

    with pytest.raises(FetchError, match="not JSON"):
        fetch_json(server.origin + "/lists/html")
