"""Verifying a credential: signature, data model, issuer, trust, validity period and revocation, each
with a reason.

Works offline for did:key issuers and the status lists the caller holds; what else may be fetched
(did:web documents, other status lists), how, and which issuers are trusted is the caller's
VerificationPolicy (credentials/policy.py; this deployment's are in certificates/trust.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core.clock import utcnow
from credentials.data_model import DataModelError, check_data_model
from credentials.dids import KeyResolutionError, resolve_key
from credentials.fetching import FetchError, normalise_url, shown
from credentials.jsonld import CanonicalisationError
from credentials.limits import UnreadableCredential, check_document, parse_json
from credentials.policy import VerificationPolicy
from credentials.proofs import ProofError, single_proof
from credentials.qr import decode_pixelpass
from credentials.status_list import bit_is_set


@dataclass
class Check:
    ok: bool | None  # None: could not be checked (e.g. offline)
    reason: str


@dataclass
class VerificationResult:
    signature: Check
    issuer: Check
    trust: Check
    validity: Check
    revocation: Check
    # The W3C data model's rules (credentials/data_model.py): types, ids as URLs, dates, subject…
    format: Check = field(default_factory=lambda: Check(None, "not checked: the credential could not be read"))
    credential_id: str | None = None
    issuer_id: str | None = None
    issuer_label: str | None = None  # who the issuer is, in words, when this service knows it
    # What the credential certifies, read from it once its signature holds (never before).
    certifies: dict | None = None
    checked_at: str = field(default_factory=lambda: utcnow().isoformat())

    @property
    def valid(self) -> bool:
        return all(check.ok is not False for check in self.checks.values()) and self.signature.ok is True

    @property
    def checks(self) -> dict[str, Check]:
        return {
            "signature": self.signature,
            "format": self.format,
            "issuer": self.issuer,
            "trust": self.trust,
            "validity": self.validity,
            "revocation": self.revocation,
        }

    def as_dict(self) -> dict:
        return {"valid": self.valid, **asdict(self)}


def read_credential(text: str) -> dict:
    """A credential as JSON, or the PixelPass text of its QR code; UnreadableCredential says why not."""
    if text.lstrip().startswith("{"):
        return parse_json(text)
    return decode_pixelpass(text)


def verify_credential(
    document: dict,
    *,
    policy: VerificationPolicy,
    known_keys: Mapping[str, Ed25519PublicKey] | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Check everything a verifier must; never raises for a bad credential.

    `policy` says which issuers are trusted and what may be fetched. `known_keys` adds keys, by
    verification method id, to those the policy holds (for issuers neither did:key nor did:web).
    """
    try:
        check_document(document)  # before any work whose cost grows with the input
    except UnreadableCredential as exc:
        unchecked = Check(None, "not checked: the credential could not be read")
        return VerificationResult(Check(False, f"not read: {exc}"), unchecked, unchecked, unchecked, unchecked)
    issuer_id = _issuer_id(document)
    result = VerificationResult(
        signature=Check(False, "not checked"),
        issuer=Check(False, "not checked"),
        trust=Check(None, "not checked: the signature is not valid"),
        validity=_check_validity(document, now or utcnow()),
        revocation=Check(None, "not checked: the signature is not valid"),
        credential_id=document.get("id") if isinstance(document.get("id"), str) else None,
        issuer_id=issuer_id,
        format=_check_format(document),
    )
    result.signature, method = _check_signature(document, policy, known_keys)
    if not result.signature.ok:
        result.issuer = Check(None, "not checked: the signature is not valid")
        # Dates in an unsigned or altered document prove nothing: say nothing good about them.
        if result.validity.ok:
            result.validity = Check(None, "not checked: the signature is not valid")
        return result
    result.issuer = _check_issuer(method.split("#", 1)[0], issuer_id)
    result.certifies = policy.read_claims(document)
    if policy.trusts(issuer_id):
        result.issuer_label = policy.describe_issuer(issuer_id)
        result.trust = Check(True, f"{issuer_id} is {result.issuer_label}")
    else:
        result.trust = Check(False, f"signed, but by an issuer this service does not know ({issuer_id})")
        # Its status list would be a stranger's URL: fetching it would let anyone make us fetch.
        result.revocation = Check(None, "not checked: the issuer is not one this service trusts")
        return result
    result.revocation = check_revocation(document, policy=policy)
    return result


def _check_format(document: dict) -> Check:
    try:
        version = check_data_model(document)
    except DataModelError as exc:
        return Check(False, str(exc))
    return Check(True, f"it follows the W3C Verifiable Credentials Data Model {version}")


def _check_signature(
    document: dict, policy: VerificationPolicy, known_keys: Mapping[str, Ed25519PublicKey] | None
) -> tuple[Check, str]:
    """The signature's check, and the verification method that made it."""
    try:
        proof = single_proof(document)
        method = proof["verificationMethod"]
        fetch = policy.fetch if policy.may_fetch_did(method.split("#", 1)[0]) else None
        keys = {**policy.known_keys, **(known_keys or {})}
        signed_as = policy.check_proof(document, resolve_key(method, fetch=fetch, known_keys=keys))
    except (ProofError, KeyResolutionError, CanonicalisationError) as exc:
        return Check(False, str(exc)), ""
    return Check(True, f"signed by {method} ({signed_as})"), method


def _check_issuer(controller: str, issuer_id: str | None) -> Check:
    if issuer_id is None:
        return Check(False, "the credential names no issuer")
    if controller != issuer_id:
        return Check(False, f"signed by {controller}, which is not the issuer {issuer_id}")
    return Check(True, f"the issuer {issuer_id} signed it")


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _parse_time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_validity(document: dict, now: datetime) -> Check:
    start_name = "validFrom" if "validFrom" in document else "issuanceDate"
    end_name = "validUntil" if "validUntil" in document else "expirationDate"
    try:
        start = _parse_time(document[start_name], start_name) if start_name in document else None
        end = _parse_time(document[end_name], end_name) if end_name in document else None
    except ValueError as exc:
        return Check(False, str(exc))
    if start and now < start:
        return Check(False, f"not valid before {start:%Y-%m-%d %H:%M} UTC")
    if end and now > end:
        return Check(False, f"expired on {end:%Y-%m-%d %H:%M} UTC")
    if end:
        return Check(True, f"valid until {end:%Y-%m-%d %H:%M} UTC")
    return Check(True, "valid with no end date")


def check_revocation(document: dict, *, policy: VerificationPolicy) -> Check:
    entries = document.get("credentialStatus")
    if entries is None:
        return Check(True, "the credential has no revocation status entry")
    entries = entries if isinstance(entries, list) else [entries]
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            return Check(None, "not checked: its credentialStatus type is not supported")
        if entry.get("statusPurpose") != "revocation":
            continue
        try:
            index = int(entry["statusListIndex"])
            status_list = _fetch_status_list(entry, policy)
            if status_list is None:
                return Check(
                    None,
                    f"not checked: this service does not fetch the status list at "
                    f"{shown(entry.get('statusListCredential'))}",
                )
            problem = _status_list_problem(json.dumps(status_list, sort_keys=True), _issuer_id(document), policy)
            if problem:
                return Check(False, f"the status list is not trustworthy: {problem}")
            revoked = bit_is_set(status_list["credentialSubject"]["encodedList"], index)
        except (KeyError, TypeError, ValueError) as exc:
            return Check(False, f"the status entry or its list is malformed: {exc}")
        except FetchError as exc:
            return Check(None, f"not checked: the status list could not be fetched: {exc}")
        if revoked:
            return Check(False, "revoked by its issuer")
    return Check(True, "not revoked")


@lru_cache(maxsize=64)
def _status_list_problem(status_list_json: str, issuer_id: str | None, policy: VerificationPolicy) -> str | None:
    """Why a status list credential cannot be trusted, or None; cached since lists change rarely.

    Only the credential's own issuer may say whether it is revoked."""
    listed = verify_credential(json.loads(status_list_json), policy=policy)
    if listed.signature.ok is not True:
        return listed.signature.reason
    if listed.format.ok is False:
        return listed.format.reason
    if listed.issuer_id != issuer_id:
        return f"it was issued by {listed.issuer_id}, not by the credential's issuer"
    if listed.validity.ok is False:
        return listed.validity.reason
    return None


def _fetch_status_list(entry: dict, policy: VerificationPolicy) -> dict | None:
    url = str(entry["statusListCredential"])
    ours, document = policy.held_status_list(url)
    if ours and (document is not None or not policy.fetch_anything):
        return document  # None: the caller does not hold the list here (another process does)
    if not ours and not policy.may_fetch_status_list(url):
        return None
    return policy.fetch(normalise_url(url))  # the URL as the fence compared it
