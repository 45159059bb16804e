"""Fetching a JSON document a credential names (a DID document, a status list), inside a fence.

A URL is compared and fetched in one normal form (`normalise_url`): scheme and host lower-cased,
the default port made explicit, percent-encoded unreserved characters decoded (so `%2e` is a dot),
dot segments resolved and repeated slashes collapsed, the fragment dropped. What a server could
read differently from us is refused rather than guessed: userinfo, an encoded slash, backslash or
percent sign, `;` path parameters (Tomcat reads `..;` as `..`), characters a URL may not hold.
Only https is fetched, and plain http to a loopback address (a service on this machine, as the
tests' fake Inji Certify; the same rule as INJI_API_URL's).

A fetch follows no redirect, reads at most MAX_BYTES and takes at most DEADLINE_SECONDS in all,
however slowly the server sends: the caller waits on a thread that does the request, and at the
deadline the connection is shut down under it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

MAX_BYTES = 1024 * 1024  # a status list of 131,072 random bits is ~22 KB; a DID document a few KB
DEADLINE_SECONDS = 5.0  # the whole fetch: connecting, headers and body
CONNECT_TIMEOUT_SECONDS = 2.0
CHUNK_BYTES = 16 * 1024
DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_URL_LENGTH = 2048

_URL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX_DIGITS = frozenset(string.hexdigits)
_PERCENT = re.compile(r"%(.{0,2})")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


class FetchError(Exception):
    """The document could not be fetched or is not JSON; the message names the cause, not the URL."""


def normalise_url(url: str) -> str:
    """`url` in the one form it is compared and fetched in; FetchError says why it is refused."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise FetchError(f"the URL is not a string of at most {MAX_URL_LENGTH} characters")
    if not set(url) <= _URL_CHARACTERS:
        raise FetchError("the URL holds characters a URL may not (spaces, controls, backslashes, non-ASCII)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchError("only https URLs are fetched")
    if "@" in parts.netloc:
        raise FetchError("the URL carries a user name or password")
    host = _host(parts.netloc.rpartition(":")[0] if _has_port(parts.netloc) else parts.netloc)
    try:
        port = DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise FetchError("the URL's port is not a number from 1 to 65535")
    if scheme == "http" and not _is_loopback(host):
        raise FetchError("plain http is fetched only from this machine (a loopback address); use https")
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}:{port}{_path(parts.path)}{query}"


def url_within(url: str, prefix: str) -> bool:
    """Whether `url` lies under `prefix`, both normalised: same scheme, host and port, the path
    equal to or below the prefix's on a segment boundary, and no query to steer the server."""
    try:
        url, prefix = normalise_url(url), normalise_url(prefix)
    except FetchError:
        return False
    if "?" in url or "?" in prefix:
        return False
    origin, _, path = url.partition("://")[2].partition("/")
    prefix_origin, _, prefix_path = prefix.partition("://")[2].partition("/")
    base = prefix_path.rstrip("/")
    return (
        url.split("://")[0] == prefix.split("://")[0]
        and origin == prefix_origin
        and (path == base or path.startswith(base + "/") or base == "")
    )


def shown(url: object) -> str:
    """`url` as it may appear in a message: no user name, password, query or fragment."""
    text = str(url)[:200]
    try:
        parts = urlsplit(text)
    except ValueError:
        return "(an unreadable URL)"
    if not parts.scheme or not parts.netloc:
        return text.split("?")[0].split("#")[0]
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def fetch_json(url: str, *, max_bytes: int = MAX_BYTES, deadline_seconds: float = DEADLINE_SECONDS) -> Any:
    """The JSON at `url`, fetched inside the fence (see the module's notes)."""
    body = _Download(normalise_url(url), max_bytes).run(deadline_seconds)
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError("the answer is not JSON") from None


class _Download:
    """One GET on a thread of its own, so that the caller can stop waiting at the deadline."""

    def __init__(self, url: str, max_bytes: int) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.response: requests.Response | None = None
        self.body: bytes | None = None
        self.error: FetchError | None = None
        self.cancelled = threading.Event()
        self.lock = threading.Lock()

    def run(self, deadline_seconds: float) -> bytes:
        worker = threading.Thread(target=self._work, name="fetch", daemon=True)
        try:
            worker.start()
        except RuntimeError:  # no thread to be had (e.g. a process under a memory limit)
            raise FetchError("this process could not start the fetch") from None
        worker.join(deadline_seconds)
        if worker.is_alive():
            self._cancel()
            raise FetchError(f"it did not answer in full within {deadline_seconds:g} s")
        if self.error is not None:
            raise self.error
        assert self.body is not None
        return self.body

    def _cancel(self) -> None:
        with self.lock:
            self.cancelled.set()
            response = self.response
        if response is not None:
            try:
                response.raw.shutdown()  # wakes the thread's blocked read; it then closes the connection
            except (ValueError, RuntimeError, OSError):
                pass

    def _work(self) -> None:
        try:
            self.body = self._get()
        except FetchError as exc:
            self.error = exc
        except requests.RequestException as exc:
            self.error = FetchError(_cause(exc))
        except urllib3.exceptions.ReadTimeoutError:
            self.error = FetchError("it stopped answering")
        except (urllib3.exceptions.HTTPError, OSError):
            self.error = FetchError("the connection failed")

    def _get(self) -> bytes:
        response = requests.get(
            self.url,
            stream=True,
            allow_redirects=False,
            timeout=(CONNECT_TIMEOUT_SECONDS, DEADLINE_SECONDS),
            headers={"Accept": "application/json, application/ld+json", "Accept-Encoding": "identity"},
        )
        with self.lock:
            self.response = response
            cancelled = self.cancelled.is_set()
        with response:
            if cancelled:
                raise FetchError("cancelled")
            _check_answer(response, self.max_bytes)
            return self._read(response)

    def _read(self, response: requests.Response) -> bytes:
        body = bytearray()
        while not self.cancelled.is_set():
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=False)
            if not chunk:
                break
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError(f"its answer is larger than {self.max_bytes:,} bytes")
        if self.cancelled.is_set():
            raise FetchError("cancelled")
        return bytes(body)


def _check_answer(response: requests.Response, max_bytes: int) -> None:
    if response.is_redirect or 300 <= response.status_code < 400:
        raise FetchError(f"it answered with a redirect (HTTP {response.status_code}), which is not followed")
    if response.status_code != 200:
        raise FetchError(f"it answered HTTP {response.status_code}")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchError(f"it answered compressed ({encoding[:20]}) though asked not to")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"its answer is larger than {max_bytes:,} bytes")


def _cause(exc: requests.RequestException) -> str:
    """What went wrong, without the URL (requests' own messages carry it, query and all)."""
    if isinstance(exc, requests.ConnectTimeout):
        return f"it did not accept a connection within {CONNECT_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return "it stopped answering"
    if isinstance(exc, requests.exceptions.SSLError):
        return "its TLS certificate or connection is not valid"
    if isinstance(exc, requests.ConnectionError):
        return "it could not be reached"
    return f"the request failed ({exc.__class__.__name__})"


def _has_port(netloc: str) -> bool:
    return netloc.rpartition(":")[2].isdigit() and not netloc.endswith("]")


def _host(raw: str) -> str:
    host = raw.lower()
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise FetchError("the URL's host is not a valid IPv6 address") from None
    host = host.removesuffix(".")
    if not _HOST.fullmatch(host):
        raise FetchError("the URL's host is not a host name or IP address")
    if host.rpartition(".")[2].isdigit():  # an IPv4 address, written the one way everyone reads alike
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise FetchError("the URL's host is not a host name or IP address") from None
    return host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _path(path: str) -> str:
    """The path with unreserved characters decoded, dot segments resolved, repeated slashes collapsed."""
    if ";" in path:
        raise FetchError("the URL's path holds ';' (path parameters)")
    decoded = _PERCENT.sub(_decode_unreserved, path)
    segments: list[str] = []
    for segment in decoded.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    trailing = "/" if decoded.endswith(("/", "/.", "/..")) and segments else ""
    return "/" + "/".join(segments) + trailing


def _decode_unreserved(match: re.Match) -> str:
    hex_digits = match.group(1)
    if len(hex_digits) != 2 or not set(hex_digits) <= _HEX_DIGITS:
        raise FetchError("the URL holds a '%' that is not a percent-encoding")
    value = int(hex_digits, 16)
    character = chr(value)
    if character in _UNRESERVED:
        return character
    if character in "/\\%" or value < 0x20 or value == 0x7F:
        raise FetchError("the URL hides a slash, backslash, percent sign or control character in percent-encoding")
    return f"%{hex_digits.upper()}"
