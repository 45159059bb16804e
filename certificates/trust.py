"""Which issuers this deployment vouches for, and what verifying a credential may fetch.

A valid signature proves only that *someone* signed. A credential is valid for this service when
its issuer is one it trusts: its own mock issuer, the Inji Certify issuer it is configured for
(INJI_ISSUER_DID), and the DIDs in TRUSTED_ISSUERS. Every verification — API, pages, admin,
command — asks for a policy here (or calls `verify`) instead of deciding for itself; the engine in
credentials/ knows nothing of this deployment beyond the policy it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from certificates.signing import local_issuer_dids, local_verification_keys
from certificates.status_lists import held_status_list
from certificates.words import certified_goods
from credentials.isolation import Limits, proof_checker
from credentials.policy import VerificationPolicy
from credentials.proofs import verify_proof
from credentials.verification import VerificationResult, verify_credential


def trusted_issuers() -> frozenset[str]:
    trusted = set(settings.TRUSTED_ISSUERS)
    if settings.INJI_ISSUER_DID:
        trusted.add(settings.INJI_ISSUER_DID)
    # The mock issuer's key is this deployment's identity while it exists; verifying must not
    # create one on a deployment that never used mock mode.
    if _has_local_issuer():
        trusted |= local_issuer_dids()
    return frozenset(trusted)


def _has_local_issuer() -> bool:
    return settings.INJI_MOCK_MODE or Path(settings.MOCK_ISSUER_KEY_FILE).exists()


def describe_issuer(did: str) -> str:
    """Who a trusted issuer is, in words."""
    if did == settings.INJI_ISSUER_DID:
        return "this service's Inji Certify issuer"
    if _has_local_issuer() and did in local_issuer_dids():
        return "this service's own issuer"
    return "an issuer this service is configured to trust"


def public_policy() -> VerificationPolicy:
    """For credentials anyone can hand us (API, pages, admin): nothing the credential names is
    fetched, except this deployment's own Inji issuer's did:web document and status lists."""
    own = frozenset({settings.INJI_ISSUER_DID}) if settings.INJI_ISSUER_DID.startswith("did:web:") else frozenset()
    lists = frozenset({settings.INJI_API_URL + "/credentials/status-list/"}) if settings.INJI_API_URL else frozenset()
    return VerificationPolicy(
        trusted_issuers(),
        fetch_did_web=own,
        status_list_prefixes=lists,
        known_keys=local_verification_keys(),
        held_status_list=held_status_list,
        describe_issuer=describe_issuer,
        read_claims=certified_goods,
    )


def issuer_policy(did: str) -> VerificationPolicy:
    """For checking what one issuer handed us (Inji Certify's answer): only that issuer is trusted."""
    return replace(
        public_policy(),
        trusted_issuers=frozenset({did}),
        fetch_did_web=frozenset({did}) if did.startswith("did:web:") else frozenset(),
        status_list_prefixes=frozenset(),
    )


def operator_policy(*, offline: bool, also_trust: Iterable[str] = ()) -> VerificationPolicy:
    """For an operator's own `verify_credential`: fetches what the credential names unless offline."""
    base = public_policy()
    return replace(base, trusted_issuers=base.trusted_issuers | frozenset(also_trust), fetch_anything=not offline)


def verify(
    document: dict, policy: VerificationPolicy | None = None, *, now: datetime | None = None
) -> VerificationResult:
    """Verify `document` as this deployment does (the public policy unless another is given)."""
    return verify_credential(document, policy=policy or public_policy(), now=now)


def verify_from_stranger(document: dict) -> VerificationResult:
    """Verify a credential anyone handed us (the public pages and API): the public policy, within
    the bounds that keep one hostile document from holding up anyone else. Its proof is checked in a
    worker process limited in CPU time and memory (credentials/isolation.py); OverBudget when the
    check breached them, which the API answers with 422 and the page in words."""
    return verify_credential(document, policy=replace(public_policy(), check_proof=isolated_proof_check()))


def isolated_proof_check() -> Callable[[dict, Ed25519PublicKey], str]:
    """Proofs checked in this process's pool of limited workers (VERIFY_PROCESSES; 0: right here)."""
    if settings.VERIFY_PROCESSES == 0:
        return verify_proof
    limits = Limits(settings.VERIFY_PROCESSES, settings.VERIFY_CPU_SECONDS, settings.VERIFY_MEMORY_MB)
    return proof_checker(limits)
