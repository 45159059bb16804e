"""Status lists: where revocation is published (W3C Bitstring Status List).

Each certificate gets one index in a status list of 131,072 entries (the spec's minimum, for herd
privacy). Revoking flips its bit. The status list credential is built on request from the set of
revoked indexes, signed by the local issuer key and served at status_list_url(list_id).

Two collections: `status_list_counters` holds each list's next free position (one small document
`$inc`ed by every issuance), `status_lists` the revoked indexes (written only by a revocation).
Lists stored before they were split keep their counter in the list document until
`ensure_indexes` (or the first allocation that meets the list) carries it over.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from pymongo import ReturnDocument

from certificates.credential_document import contexts, xsd_datetime
from certificates.models import Certificate, IssuedVia, StatusList, StatusListCounter
from certificates.signing import local_signing_key, sign
from credentials.status_list import LIST_SIZE, encode_bitstring

STATUS_PATH = "/credentials/status/"


def status_list_url(list_id: str) -> str:
    return f"{settings.SITE_URL}{STATUS_PATH}{list_id}"


def allocate_entry() -> dict:
    """Reserve the next free index and return the credential's BitstringStatusListEntry: one atomic
    `$inc` on the first list with room, whose bits document exists already (StatusListCounter.open)."""
    counters = StatusListCounter._get_collection()
    while True:
        counter = counters.find_one_and_update(
            {"next_index": {"$lt": LIST_SIZE}},
            {"$inc": {"next_index": 1}},
            sort=[("number", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if counter is not None:
            return _entry(counter["_id"], counter["next_index"] - 1)
        # Every list is full (or none is open yet): open the next one, and take a position in it.
        last = counters.find_one({}, {"number": 1}, sort=[("number", -1)])
        StatusListCounter.open((last["number"] if last else 0) + 1, LIST_SIZE)


def _entry(list_id: str, index: int) -> dict:
    url = status_list_url(list_id)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def parse_entry(entry: dict) -> tuple[str, int] | None:
    """The (list_id, index) of an entry that points at this deployment's status lists."""
    url = str(entry.get("statusListCredential", ""))
    prefix = settings.SITE_URL + STATUS_PATH
    if not url.startswith(prefix):
        return None
    return url[len(prefix) :], int(entry["statusListIndex"])


def held_status_list(url: str) -> tuple[bool, dict | None]:
    """Whether `url` names one of this deployment's status lists, and that list as served (None
    when this process does not hold it: another embedded process does)."""
    prefix = settings.SITE_URL + STATUS_PATH
    if not url.startswith(prefix):
        return False, None
    return True, status_list_credential(url[len(prefix) :])


class PublishError(Exception):
    """The issuer did not take the revocation; the message says why, with no secret in it."""


# Who sets the revocation bit of a certificate another issuer signed: issued_via -> publish(credential).
# The issuance app registers Inji Certify's; certificates imports nothing from it.
_publishers: dict[str, Callable[[dict], None]] = {}


def register_publisher(via: str, publish: Callable[[dict], None]) -> None:
    _publishers[via] = publish


def publish_revocation(certificate: Certificate, now: datetime) -> str | None:
    """Set the certificate's bit in its issuer's status list; the problem, or None when done."""
    if certificate.issued_via == IssuedVia.MOCK:
        if certificate.status_list_id is not None and certificate.status_list_index is not None:
            StatusList.objects(list_id=certificate.status_list_id).update_one(
                add_to_set__revoked=certificate.status_list_index, set__updated_at=now
            )
        return None
    publish = _publishers.get(certificate.issued_via)
    if publish is None:
        return f"no way to reach the {certificate.issued_via} issuer is configured"
    try:
        publish(certificate.credential)
    except PublishError as exc:
        return str(exc)[:1000]
    return None


def status_list_credential(list_id: str) -> dict | None:
    status_list = StatusList.objects(list_id=list_id).only("list_id", "size", "revoked", "updated_at").first()
    if status_list is None:
        return None
    signed = _signed_status_list(list_id, tuple(sorted(status_list.revoked)), status_list.size, status_list.updated_at)
    return copy.deepcopy(signed)  # callers may change their copy; the cached one must stay intact


@lru_cache(maxsize=16)
def _signed_status_list(list_id: str, revoked: tuple[int, ...], size: int, updated_at: datetime) -> dict:
    """Signing gzips 16 KiB and canonicalises; a list only changes when a certificate is revoked."""
    url = status_list_url(list_id)
    document = {
        "@context": contexts(),
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": local_signing_key().did,
        "validFrom": xsd_datetime(updated_at),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(list(revoked), size),
        },
    }
    return sign(document, xsd_datetime(updated_at))
