"""Error reports (debug pages, mailed 500s) that never show a secret.

Django already hides settings named like KEY, TOKEN, SECRET or PASS; a password inside a URI
(MONGODB_URI=mongodb://user:password@host/db, a DATABASE_URL, EMAIL URLs) has no such name, so
every value that looks like a URI with credentials gets its password masked too.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

_CREDENTIALS_IN_URI = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@", re.I)


def mask_uri_credentials(text: str) -> str:
    return _CREDENTIALS_IN_URI.sub(lambda m: f"{m['scheme']}{m['user']}:********@", text)


class SecretMaskingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URI|DSN|DATABASE_URL", flags=re.I)

    def cleanse_setting(self, key, value):
        return self._mask(super().cleanse_setting(key, value))

    def get_safe_settings(self):
        return {key: self._mask(value) for key, value in super().get_safe_settings().items()}

    def get_safe_request_meta(self, request):
        return {key: self._mask(value) for key, value in super().get_safe_request_meta(request).items()}

    def _mask(self, value):
        if type(value) is str:  # (lazy objects pass isinstance(…, str) without being strings)
            return mask_uri_credentials(value)
        if isinstance(value, dict):
            return {key: self._mask(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._mask(item) for item in value)
        return value
