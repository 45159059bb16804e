"""Error reports (debug pages, mailed 500s) that never show a secret.

Django hides settings and request headers named like KEY, TOKEN, SECRET or PASS, and nothing
else. Here, besides:

- a password inside a URI (MONGODB_URI=mongodb://user:password@host/db, a DATABASE_URL,
  CACHE_URL) is masked in any value, setting, header or message;
- traceback variables are masked too, not only settings: a variable named like a secret, pymongo's
  MongoCredential (its password), and — nested in dicts, lists, tuples or in any object's repr —
  `password='…'`, `"token": "…"` and `Bearer …`;
- the values of this deployment's own secrets (SECRET_KEY, INJI_API_KEY, METRICS_TOKEN, mail and
  database passwords, the passwords in MONGODB_URI and CACHE_URL) are masked wherever they appear,
  under any name — pymongo's SCRAM code holds the MongoDB password in a variable called `data`.

Masked values read as `********************`.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from urllib.parse import unquote

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from pymongo.auth_shared import MongoCredential

SUBSTITUTE = SafeExceptionReporterFilter.cleansed_substitute
_CREDENTIALS_IN_URI = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@", re.I)
_SECRET_WORDS = r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|authorization"
# `password='…'`, `'api_key': "…"`, `token=…` as reprs and messages write them.
_SECRET_ASSIGNMENT = re.compile(
    rf"(?P<name>\b\w*(?:{_SECRET_WORDS})\w*['\"]?\s*[:=]\s*)(?:(?:Bearer|Basic|Token)\s+)?(?P<value>'[^']*'|\"[^\"]*\"|b'[^']*'|[^\s,)}}\]]+)",
    re.I,
)
_BEARER = re.compile(r"\b(?P<name>Bearer|Token|Basic)\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})")
# The words of a variable's or key's name that make it a secret (as Django's hidden settings, by word).
_SECRET_NAME_WORDS = frozenset(
    "api apikey auth authorization bearer cookie dsn key pass passphrase passwd password pwd secret signature "
    "token uri".split()
)
# Settings whose values are secrets (Django's hidden names also catch values that are not, such as
# AXES_PASSWORD_FORM_FIELD = "password", which must not be masked wherever the word appears).
SECRET_SETTINGS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "INJI_API_KEY", "METRICS_TOKEN", "EMAIL_HOST_PASSWORD")
# Secrets shorter than this are not searched for in text (a password "db" would mask every "db").
MIN_SECRET_LENGTH = 6
MAX_DEPTH = 8


def mask_uri_credentials(text: str) -> str:
    return _CREDENTIALS_IN_URI.sub(lambda m: f"{m['scheme']}{m['user']}:{SUBSTITUTE}@", text)


def mask_text(text: str, secrets: frozenset[str] = frozenset()) -> str:
    """`text` with URI passwords, secret-looking assignments, bearer tokens and `secrets` masked."""
    for secret in sorted(secrets, key=len, reverse=True):  # a secret inside another: the longer first
        text = text.replace(secret, SUBSTITUTE)
    text = mask_uri_credentials(text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m["name"] + _masked_value(m["value"]), text)
    return _BEARER.sub(lambda m: f"{m['name']} {SUBSTITUTE}", text)


def _masked_value(value: str) -> str:
    """'…' as '*…*', b'…' as b'*…*', a bare value as *…*."""
    prefix = "b" if value.startswith("b'") else ""
    quote = value[len(prefix)] if value[len(prefix) : len(prefix) + 1] in ("'", '"') else ""
    return f"{prefix}{quote}{SUBSTITUTE}{quote}"


def is_secret_name(name) -> bool:
    """A variable or key named like a secret: one of its words (snake_case or camelCase) is one."""
    if not isinstance(name, str):
        return False
    words = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name)
    return any(word.lower().rstrip("0123456789") in _SECRET_NAME_WORDS for word in words)


def deployment_secrets() -> frozenset[str]:
    """This deployment's secret values, as they may appear in text, whatever holds them: the secret
    settings, database passwords, and the password of every URI in the settings."""
    found = set()
    for name in SECRET_SETTINGS:
        found.update(_strings(getattr(settings, name, None)))
    for database in settings.DATABASES.values():
        found.update(_strings(database.get("PASSWORD")))
    for name in dir(settings):
        if name.isupper():
            for text in _strings(getattr(settings, name, None)):
                for match in _CREDENTIALS_IN_URI.finditer(text):
                    found.update(_password_forms(match["user"], match["password"]))
    return frozenset(secret for secret in found if len(secret) >= MIN_SECRET_LENGTH)


def _strings(value, depth: int = 0) -> Iterator[str]:
    if type(value) is str:
        yield value
    elif depth < MAX_DEPTH and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < MAX_DEPTH and isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, depth + 1)


def _password_forms(user: str, password: str) -> Iterator[str]:
    """A URI's password as written, decoded, and as MongoDB's SCRAM-SHA-1 digest (worth the password)."""
    yield password
    yield unquote(password)
    digest = f"{unquote(user)}:mongo:{unquote(password)}".encode()
    yield hashlib.md5(digest, usedforsecurity=False).hexdigest()


class _Shown:
    """A value already turned into safe text: shown as that text on the debug page."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class SecretMaskingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile("API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|URI|DSN|DATABASE_URL|CACHE_URL", re.I)

    def cleanse_setting(self, key, value):
        return self._mask(super().cleanse_setting(key, value))

    def get_safe_settings(self):
        return {key: self._mask(value) for key, value in super().get_safe_settings().items()}

    def get_safe_request_meta(self, request):
        return {key: self._mask(value) for key, value in super().get_safe_request_meta(request).items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        secrets = deployment_secrets()
        return [
            (name, SUBSTITUTE if is_secret_name(name) else self.masked(value, secrets))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def masked(self, value, secrets: frozenset[str], depth: int = 0):
        """`value` with every secret in it masked, as a value the debug page can print."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, MongoCredential):
            return value._replace(password=SUBSTITUTE, mechanism_properties=SUBSTITUTE, cache=SUBSTITUTE)
        if type(value) is str:  # (lazy objects pass isinstance(…, str) without being strings)
            return mask_text(value, secrets)
        if depth < MAX_DEPTH and type(value) is dict:
            return {
                key: SUBSTITUTE if is_secret_name(key) else self.masked(item, secrets, depth + 1)
                for key, item in value.items()
            }
        if depth < MAX_DEPTH and type(value) in (list, tuple, set, frozenset):
            return type(value)(self.masked(item, secrets, depth + 1) for item in value)
        if type(value) is bytes:  # before repr, which escapes what a password may hold
            for secret in sorted(secrets, key=len, reverse=True):
                value = value.replace(secret.encode(), SUBSTITUTE.encode())
        return _Shown(mask_text(_repr(value), secrets))

    def _mask(self, value):
        if type(value) is str:
            return mask_uri_credentials(value)
        if isinstance(value, dict):
            return {key: self._mask(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._mask(item) for item in value)
        return value


def _repr(value) -> str:
    try:
        return repr(value)
    except Exception as exc:  # noqa: BLE001 - as Django's pprint filter: the page must still render
        return f"Error in formatting: {exc.__class__.__name__}: {exc}"


class SecretMaskingReporter(ExceptionReporter):
    """The last pass over the whole page or mail: messages (an exception may quote a URI), the
    request's URL and anything a template printed, escaped as HTML or not."""

    def get_traceback_html(self) -> str:
        return _mask_page(super().get_traceback_html(), escaped=True)

    def get_traceback_text(self) -> str:
        return _mask_page(super().get_traceback_text(), escaped=False)


def _mask_page(page: str, *, escaped: bool) -> str:
    secrets = deployment_secrets()
    if escaped:
        secrets |= {html.escape(secret) for secret in secrets}
    for secret in sorted(secrets, key=len, reverse=True):
        page = page.replace(secret, SUBSTITUTE)
    page = mask_uri_credentials(page)
    return _BEARER.sub(lambda m: f"{m['name']} {SUBSTITUTE}", page)
