"""What a verification may trust and fetch: the one object a caller hands the engine.

The engine decides nothing about a deployment. Which issuers are trusted, which did:web documents
and status lists may be fetched (and how), which keys and status lists the caller already holds,
and how to name an issuer or the claims a credential makes for people: all of it comes in here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.fetching import FetchError, fetch_json, normalise_url, url_within
from credentials.proofs import verify_proof

# A fetcher: the JSON document at an https URL (raises credentials.fetching.FetchError).
Fetcher = Callable[[str], Any]


def _not_held(url: str) -> tuple[bool, dict | None]:
    return False, None


def _no_label(did: str) -> str:
    return "an issuer this verifier trusts"


def _no_claims(document: dict) -> dict | None:
    return None


@dataclass(frozen=True)
class VerificationPolicy:
    trusted_issuers: frozenset[str] = frozenset()
    # did:web DIDs whose DID documents may be fetched (over HTTPS).
    fetch_did_web: frozenset[str] = frozenset()
    # Fetch every did:web document and status list a credential names: only for an operator's own
    # command, never for input from strangers (it would make this server fetch their URLs).
    fetch_anything: bool = False
    # Status lists under these URL prefixes may be fetched (compared in normal form, on a path
    # segment boundary: credentials/fetching.py).
    status_list_prefixes: frozenset[str] = frozenset()
    # The rest is the caller's machinery; a deployment's is stable, so it does not take part in
    # equality (verdicts on status lists are cached per policy).
    fetch: Fetcher = field(default=fetch_json, compare=False)
    # Keys the caller already holds, by verification method id (its own issuer's, retired ones too).
    known_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict, compare=False)
    # Status lists the caller holds itself, by URL: (is it one of ours, the list or None).
    held_status_list: Callable[[str], tuple[bool, dict | None]] = field(default=_not_held, compare=False)
    # Who a trusted issuer is, in words; what a credential certifies, as plain values for people.
    describe_issuer: Callable[[str], str] = field(default=_no_label, compare=False)
    read_claims: Callable[[dict], dict | None] = field(default=_no_claims, compare=False)
    # Checks a document's proof with a public key (raising ProofError or CanonicalisationError) and
    # says how it was signed: here, or for strangers' documents in a limited process of
    # credentials/isolation.py, which may also raise OverBudget.
    check_proof: Callable[[dict, Ed25519PublicKey], str] = field(default=verify_proof, compare=False)

    def may_fetch_did(self, did: str) -> bool:
        return self.fetch_anything or did in self.fetch_did_web

    def may_fetch_status_list(self, url: str) -> bool:
        try:
            normalise_url(url)  # even an operator's fetch stays on https (or loopback), without userinfo
        except FetchError:
            return False
        return self.fetch_anything or any(url_within(url, prefix) for prefix in self.status_list_prefixes)

    def trusts(self, issuer: str | None) -> bool:
        return issuer is not None and issuer in self.trusted_issuers
