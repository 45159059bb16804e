"""Strict readers for environment variables.

Each reader raises ImproperlyConfigured with one line that names the variable and says what it
accepts, so a typo in a deployment stops start-up instead of silently picking a default.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlparse, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_SQL_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


class Bounds(NamedTuple):
    """The whole numbers a setting or a command-line option accepts; no maximum when None."""

    minimum: int
    maximum: int | None = None

    def __str__(self) -> str:
        return f"≥ {self.minimum}" if self.maximum is None else f"from {self.minimum} to {self.maximum}"


PORT = Bounds(1, 65535)


def whole_number(text: str, bounds: Bounds) -> int:
    """`text` as a whole number within `bounds`, or ValueError saying what is accepted."""
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or number < bounds.minimum or (bounds.maximum is not None and number > bounds.maximum):
        raise ValueError(f"must be a whole number {bounds} (got {text!r})")
    return number


def read_env_file(path: Path) -> None:
    """Variables from a `.env` file; a real environment variable always wins over the file."""
    environ.Env.read_env(path, overwrite=False)


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got {value!r})")


def env_int(name: str, default: int, bounds: Bounds) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        return whole_number(value, bounds)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} {exc}") from None


def option_int(bounds: Bounds) -> Callable[[str], int]:
    """An argparse `type` that reads a command-line number by env_int's rule; argparse names the
    option in its error ("argument --grace: must be a whole number from 0 to 3600 (got '-1')")."""

    def parse(text: str) -> int:
        try:
            return whole_number(text, bounds)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def env_choice(name: str, default: str, choices: Sequence[str]) -> str:
    """One of `choices`, in any case, returned as spelled in `choices`."""
    value = _raw(name)
    if value is None:
        return default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    listed = " or ".join(choices) if len(choices) == 2 else "one of " + ", ".join(choices)
    raise ImproperlyConfigured(f"{name} must be {listed} (got {value!r})")


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated networks in CIDR form (10.0.0.0/8, ::1/128); a bare address is one host."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list networks like 10.0.0.0/8 or ::1/128, separated by commas (got {item!r})"
            ) from None
    return networks


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    value = _raw(name)
    if value is None:
        return default
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)} (got a value that is not)"
        )
    return value.rstrip("/")


def env_private_url(name: str) -> str:
    """A URL that tokens and claims travel over: https, or plain http to this machine only (tests,
    a local service)."""
    url = env_url(name)
    if url and not _is_https_or_loopback(url):
        raise ImproperlyConfigured(
            f"{name} must use https (plain http only to a loopback address): tokens and claims travel over it"
        )
    return url


# The shared cache's tables (core/shared_cache.py, created by core/migrations). Rate-limit counters
# live a minute: 50,000 clients in one minute before Django culls live ones (expired ones go first).
# Rendered images are ~50 KB each, kept apart so that they never cull a counter.
LIMITS_CACHE_TABLE, LIMITS_CACHE_ENTRIES = "agriqcert_cache", 50_000
RENDERS_CACHE_TABLE, RENDERS_CACHE_ENTRIES = "agriqcert_render_cache", 2_000


def env_caches(name: str) -> dict:
    """CACHES shared by every web process and machine: "default" for rate limits, "renders" for
    images and PDFs. `name` unset: Django's database cache in DATABASE_URL (no new server); a
    redis:// or rediss:// URL: Redis. Nothing else, since a per-process cache would quietly give
    each process its own rate limits again."""
    value = env_str(name)
    if not value:
        return {
            "default": _database_cache(LIMITS_CACHE_TABLE, LIMITS_CACHE_ENTRIES),
            "renders": _database_cache(RENDERS_CACHE_TABLE, RENDERS_CACHE_ENTRIES),
        }
    if urlsplit(value).scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(
            f"{name} must be a Redis URL such as redis://127.0.0.1:6379/0 or rediss://:password@host:6380/0 "
            "(unset: the database cache in DATABASE_URL)"
        )
    redis = environ.Env.cache_url_config(value)
    return {"default": {**redis, "KEY_PREFIX": "limits"}, "renders": {**redis, "KEY_PREFIX": "renders"}}


def _database_cache(table: str, max_entries: int) -> dict:
    return {"BACKEND": "core.shared_cache.DatabaseCache", "LOCATION": table, "OPTIONS": {"MAX_ENTRIES": max_entries}}


def refuse_retired(name: str, replacement: str) -> None:
    """Stop start-up when a variable this release no longer reads is set to anything but its old
    default ("0", "false" or empty), saying what replaces it."""
    value = _raw(name)
    if value is not None and value.lower() not in _FALSE:
        raise ImproperlyConfigured(f"{name} is no longer read: {replacement}")


def single_addresses(networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> list[str]:
    """The networks that are one address each (10.0.0.5, 10.0.0.5/32, ::1/128), as addresses."""
    return [str(network.network_address) for network in networks if network.num_addresses == 1]


def env_did(name: str, example: str) -> str:
    value = env_str(name)
    if value and not value.startswith("did:"):
        raise ImproperlyConfigured(f"{name} must be a DID such as {example}")
    return value


def env_dids(name: str, example: str) -> list[str]:
    dids = env_list(name, [])
    for did in dids:
        if not did.startswith("did:"):
            raise ImproperlyConfigured(f"{name} must list DIDs such as {example} (got {did!r})")
    return dids


def require(when: str, **values: str) -> None:
    """Each of `values` (NAME=value) must be set `when` ("when INJI_MOCK_MODE is false")."""
    for name, value in values.items():
        if not value:
            raise ImproperlyConfigured(f"{name} must be set {when}")


def env_did_web(name: str, site_url_name: str, site_url: str) -> bool:
    """Sign as did:web:<the site's host>: did:web names a domain's root, so the site must have no path."""
    wanted = env_bool(name, False)
    if wanted and urlsplit(site_url).path not in ("", "/"):
        raise ImproperlyConfigured(
            f"{name} needs {site_url_name} at a domain's root (got {site_url}): "
            "its DID document is served at /.well-known/did.json"
        )
    return wanted


def env_database(name: str, default: str) -> dict:
    value = _raw(name) or default
    try:
        config = environ.Env.db_url_config(value)
    except Exception:  # noqa: BLE001 - django-environ raises several types for a bad URL
        config = {}
    if config.get("ENGINE") not in _SQL_ENGINES:
        raise ImproperlyConfigured(
            f"{name} must be a database URL such as sqlite:///db.sqlite3 or postgres://user:password@host/name"
        )
    return config


def mongodb_database_name(name: str, uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme not in ("mongodb", "mongodb+srv") or not parsed.netloc:
        raise ImproperlyConfigured(f"{name} must start with mongodb:// or mongodb+srv:// (got a value that does not)")
    database = parsed.path.lstrip("/")
    if not database:
        raise ImproperlyConfigured(f"{name} must name the database, e.g. mongodb://host:27017/agriqcert")
    options = {key.lower(): values[-1] for key, values in parse_qs(parsed.query).items()}
    if options.get("readpreference", "primary").lower() != "primary":
        raise ImproperlyConfigured(
            f"{name} asks for readPreference={options['readpreference']}: AgriQCert reads its own writes (a "
            "certificate just stored, a job just claimed) and must read from the primary; remove the option"
        )
    for option, required in (("w", "majority"), ("retrywrites", "true")):
        if option in options and options[option].lower() != required:
            raise ImproperlyConfigured(
                f"{name} sets {option}={options[option]}: AgriQCert needs {option}={required} so that an "
                "acknowledged claim or certificate survives a failover; remove the option"
            )
    return database


def _is_https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def secret_key(name: str, *, debug: bool, embedded: bool, key_file: Path) -> str:
    """SECRET_KEY from the environment, strong enough when DEBUG is off.

    Unset, the embedded mode (one process on one machine) keeps a random key in `key_file`
    (created 0600), so `scripts/run` works without configuration; a MongoDB deployment, whose web
    processes and machines must share one key, must set it.
    """
    value = env_str(name)
    if value:
        if not debug and (len(value) < 50 or len(set(value)) < 10):
            raise ImproperlyConfigured(
                f"{name} must be a random value of at least 50 characters with at least 10 different ones "
                "when DEBUG is off, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return value
    if not embedded and not debug:
        raise ImproperlyConfigured(
            f"{name} must be set when MONGODB_URI is set and DEBUG is off (all web processes must share it)"
        )
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip() or _unreadable(key_file)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def _unreadable(key_file: Path) -> str:
    raise ImproperlyConfigured(f"{key_file} is empty: delete it and start again, or set SECRET_KEY")


def private_sqlite_file(database: dict) -> None:
    """Users' password hashes and sessions live in SQLite's file: readable by this user only."""
    if database.get("ENGINE") != "django.db.backends.sqlite3" or str(database.get("NAME", "")).startswith(":"):
        return
    path = Path(database["NAME"])
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def public_https(name: str, url: str) -> None:
    """A URL signed into credentials must work for every verifier, for the credential's whole life:
    HTTPS, on a public host — not loopback, a private address or a local name."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    problem = None
    if parts.scheme != "https":
        problem = "is not https"
    elif host in ("localhost",) or host.endswith((".localhost", ".local", ".internal", ".lan")) or "." not in host:
        problem = f"names {host!r}, which no verifier elsewhere can reach"
    else:
        try:
            if not ipaddress.ip_address(host).is_global:
                problem = f"names the non-public address {host}"
        except ValueError:
            pass
    if problem:
        raise ImproperlyConfigured(
            f"{name} {problem} ({url}): it is signed into every credential, so it must be a public https URL "
            "that is served for as long as the certificates are used (see README, 'Running in production')"
        )


# -- the address `manage.py serve` listens on ---------------------------------------------------

SERVE_ADDRESS = "127.0.0.1:8000"  # serve's default, as runserver's
_ANY_ADDRESS = {"0", "0.0.0.0", "[::]", "::"}


def _host_and_port(addrport: str) -> tuple[str, str]:
    if ":" not in addrport:
        return "127.0.0.1", addrport  # runserver's default address
    host, _, port = addrport.rpartition(":")
    return host, port


def serve_port(addrport: str) -> int:
    """The port of `ADDR:PORT` (or `PORT`); ValueError naming its bounds when it is not one."""
    try:
        return whole_number(_host_and_port(addrport)[1], PORT)
    except ValueError as exc:
        raise ValueError(f"the port {exc}") from None


def site_url_served_at(addrport: str) -> str:
    """The URL at which a browser reaches a server listening on `ADDR:PORT` (or `PORT`): for an
    any-address (0.0.0.0, [::]), which no browser can open, this machine's name."""
    port = serve_port(addrport)
    host = _host_and_port(addrport)[0]
    if host in _ANY_ADDRESS or not host:
        host = socket.getfqdn()
    return f"http://{host}:{port}"


def site_host(url: str) -> str:
    """The host of `url` as ALLOWED_HOSTS spells it (an IPv6 address in brackets)."""
    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host
