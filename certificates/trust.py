"""Which issuers this deployment vouches for, and what verifying a credential may fetch.

A valid signature proves only that *someone* signed. A credential is valid for this service when
its issuer is one it trusts: its own mock issuer, the Inji Certify issuer it is configured for
(INJI_ISSUER_DID), and the DIDs in TRUSTED_ISSUERS. Every verification — API, pages, admin,
command — asks for a policy here instead of deciding for itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from certificates.signing import local_issuer_dids


@dataclass(frozen=True)
class VerificationPolicy:
    trusted_issuers: frozenset[str] = frozenset()
    # did:web DIDs whose DID documents may be fetched (over HTTPS).
    fetch_did_web: frozenset[str] = frozenset()
    # Fetch every did:web document and status list a credential names: only for an operator's own
    # command, never for input from strangers (it would make this server fetch their URLs).
    fetch_anything: bool = False
    # Status lists under these URL prefixes may be fetched: the configured Inji Certify's own.
    status_list_prefixes: frozenset[str] = frozenset()

    def may_fetch_did(self, did: str) -> bool:
        return self.fetch_anything or did in self.fetch_did_web

    def may_fetch_status_list(self, url: str) -> bool:
        return self.fetch_anything or any(url.startswith(prefix) for prefix in self.status_list_prefixes)

    def trusts(self, issuer: str | None) -> bool:
        return issuer is not None and issuer in self.trusted_issuers


def trusted_issuers() -> frozenset[str]:
    trusted = set(settings.TRUSTED_ISSUERS)
    if settings.INJI_ISSUER_DID:
        trusted.add(settings.INJI_ISSUER_DID)
    # The mock issuer's key is this deployment's identity while it exists; verifying must not
    # create one on a deployment that never used mock mode.
    if settings.INJI_MOCK_MODE or Path(settings.MOCK_ISSUER_KEY_FILE).exists():
        trusted |= local_issuer_dids()
    return frozenset(trusted)


def describe_issuer(did: str) -> str:
    """Who a trusted issuer is, in words."""
    if did == settings.INJI_ISSUER_DID:
        return "this service's Inji Certify issuer"
    if (settings.INJI_MOCK_MODE or Path(settings.MOCK_ISSUER_KEY_FILE).exists()) and did in local_issuer_dids():
        return "this service's own issuer"
    return "an issuer this service is configured to trust"


def public_policy() -> VerificationPolicy:
    """For credentials anyone can hand us (API, pages, admin): nothing the credential names is
    fetched, except this deployment's own Inji issuer's did:web document and status lists."""
    own = frozenset({settings.INJI_ISSUER_DID}) if settings.INJI_ISSUER_DID.startswith("did:web:") else frozenset()
    lists = frozenset({settings.INJI_API_URL + "/credentials/status-list/"}) if settings.INJI_API_URL else frozenset()
    return VerificationPolicy(trusted_issuers(), fetch_did_web=own, status_list_prefixes=lists)


def operator_policy(*, offline: bool, also_trust: Iterable[str] = ()) -> VerificationPolicy:
    """For an operator's own `verify_credential`: fetches what the credential names unless offline."""
    base = public_policy()
    return VerificationPolicy(
        base.trusted_issuers | frozenset(also_trust),
        fetch_did_web=base.fetch_did_web,
        fetch_anything=not offline,
        status_list_prefixes=base.status_list_prefixes,
    )
