"""The W3C Verifiable Credentials Data Model's rules a verifier must enforce, over a credential's JSON.

A credential is read by the version its first `@context` names: VC Data Model 2.0
(https://www.w3.org/ns/credentials/v2: `validFrom`/`validUntil`) or 1.1
(https://www.w3.org/2018/credentials/v1: `issuanceDate`/`expirationDate`, as Inji and Sunbird
deployments still issue). Each gets its own version's MUSTs; where 1.1 asks more (an `id` on
`credentialStatus` and `refreshService`) it is asked of 1.1 credentials only. Which inputs a
verifier must refuse follows the W3C's vc-data-model-2.0-test-suite.

`check_data_model` raises DataModelError naming the rule broken and where.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"

# A URL: a scheme, then no spaces or characters a URI may not hold; http(s) needs a host.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")
# XML Schema dateTime; a dateTimeStamp is one whose time zone is not optional.
_DATE_TIME = re.compile(
    r"-?(?P<year>[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?P<fraction>\.[0-9]+)?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
# Objects that MUST say their type, and the 1.1 ones that MUST also have an id.
TYPED_ENTRIES = ("credentialStatus", "credentialSchema", "evidence", "refreshService", "termsOfUse")
ID_REQUIRED = {"2.0": {"credentialSchema"}, "1.1": {"credentialStatus", "credentialSchema", "refreshService"}}
SECTIONS = {
    "@context": "Contexts",
    "id": "Identifiers",
    "type": "Types",
    "issuer": "Issuer",
    "credentialSubject": "Credential Subject",
    "validity": "Validity Period",
    "issuanceDate": "Issuance Date",
    "expirationDate": "Expiration",
    "credentialStatus": "Status",
    "credentialSchema": "Data Schemas",
    "evidence": "Evidence",
    "refreshService": "Refreshing",
    "termsOfUse": "Terms of Use",
    "relatedResource": "Integrity of Related Resources",
    "name": "Names and Descriptions",
}


class DataModelError(ValueError):
    """A rule of the VC Data Model is broken; the message says which, and where."""


def check_data_model(document: dict) -> str:
    """The data model version `document` follows ("2.0" or "1.1"); DataModelError when it breaks a rule."""
    version = _version(document)
    for rule in (_types, _issuer, _subject, _ids, _typed_entries):
        rule(document, version)
    if version == "2.0":
        _validity_v2(document)
        _related_resources(document)
        _names(document)
    else:
        _validity_v1(document)
    return version


def is_url(value: object) -> bool:
    if not isinstance(value, str) or not _URL.fullmatch(value):
        return False
    if value.partition(":")[0].lower() not in ("http", "https"):
        return True
    try:
        return bool(urlsplit(value).hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def _broken(version: str, topic: str, what: str) -> DataModelError:
    return DataModelError(f"{what} (VC Data Model {version}: {SECTIONS[topic]})")


def _version(document: dict) -> str:
    contexts = document.get("@context")
    contexts = [contexts] if isinstance(contexts, str) else contexts
    if not isinstance(contexts, list) or not contexts:
        raise _broken("2.0", "@context", "the credential has no @context")
    if contexts[0] not in (V2_CONTEXT, V1_CONTEXT):
        raise _broken("2.0", "@context", f"the first @context must be {V2_CONTEXT} (or {V1_CONTEXT} for 1.1)")
    version = "2.0" if contexts[0] == V2_CONTEXT else "1.1"
    for position, context in enumerate(contexts[1:], start=2):
        if not (isinstance(context, dict) or is_url(context)):
            raise _broken(version, "@context", f"@context item {position} is neither a URL nor an object")
    return version


def _types(document: dict, version: str) -> None:
    types = document.get("type")
    if types is None:
        raise _broken(version, "type", "the credential has no type")
    if not _is_type(types) or "VerifiableCredential" not in ([types] if isinstance(types, str) else types):
        raise _broken(version, "type", "the credential's type must include VerifiableCredential")
    for where, node in _objects(document, "credential"):
        if "type" in node and not _is_type(node["type"]):
            raise _broken(version, "type", f"the type of {where} must be a string or a list of strings")


def _is_type(value: object) -> bool:
    values = [value] if isinstance(value, str) else value
    return isinstance(values, list) and bool(values) and all(isinstance(v, str) and v for v in values)


def _ids(document: dict, version: str) -> None:
    for where, node in _objects(document, "credential"):
        if "id" in node and not is_url(node["id"]):
            raise _broken(version, "id", f"the id of {where} must be a single URL")


def _issuer(document: dict, version: str) -> None:
    issuer = document.get("issuer")
    if issuer is None:
        raise _broken(version, "issuer", "the credential has no issuer")
    if not is_url(issuer.get("id") if isinstance(issuer, dict) else issuer):
        raise _broken(version, "issuer", "the issuer must be a URL, or an object whose id is a URL")


def _subject(document: dict, version: str) -> None:
    subject = document.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if subject is None:
        raise _broken(version, "credentialSubject", "the credential has no credentialSubject")
    if not subjects or not all(isinstance(each, dict) and each for each in subjects):
        raise _broken(
            version, "credentialSubject", "credentialSubject must be one or more objects, each making a claim"
        )


def _typed_entries(document: dict, version: str) -> None:
    for name in TYPED_ENTRIES:
        if name not in document:
            continue
        entries = document[name] if isinstance(document[name], list) else [document[name]]
        if not entries or not all(isinstance(entry, dict) for entry in entries):
            raise _broken(version, name, f"{name} must be one or more objects")
        for entry in entries:
            if "type" not in entry:
                raise _broken(version, name, f"each {name} must have a type")
            if name in ID_REQUIRED[version] and "id" not in entry:
                raise _broken(version, name, f"each {name} must have an id that is a URL")


def _validity_v2(document: dict) -> None:
    start = _date_time(document, "validFrom", "2.0", zone_required=True)
    end = _date_time(document, "validUntil", "2.0", zone_required=True)
    if start and end and start > end:
        raise _broken("2.0", "validity", "validFrom is later than validUntil")


def _validity_v1(document: dict) -> None:
    if "issuanceDate" not in document:
        raise _broken("1.1", "issuanceDate", "the credential has no issuanceDate")
    _date_time(document, "issuanceDate", "1.1", zone_required=False)
    _date_time(document, "expirationDate", "1.1", zone_required=False)


def _date_time(document: dict, name: str, version: str, *, zone_required: bool) -> datetime | None:
    if name not in document:
        return None
    value = document[name]
    kind = "an XML Schema dateTimeStamp (with a time zone)" if zone_required else "an XML Schema dateTime"
    topic = "validity" if version == "2.0" else name
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None or (zone_required and not match["zone"]):
        raise _broken(version, topic, f"{name} must be {kind}, such as 2025-01-31T12:00:00Z")
    try:
        fraction = (match["fraction"] or "")[:7]  # microseconds at most; XML Schema allows more digits
        zone = (match["zone"] or "Z").replace("Z", "+00:00")
        return datetime.fromisoformat(f"{value[: match.start('time')]}{match['time']}{fraction}{zone}")
    except ValueError:
        raise _broken(version, topic, f"{name} is not a date and time that exists") from None


def _related_resources(document: dict) -> None:
    if "relatedResource" not in document:
        return
    resources = document["relatedResource"]
    resources = resources if isinstance(resources, list) else [resources]
    if not resources or not all(isinstance(resource, dict) for resource in resources):
        raise _broken("2.0", "relatedResource", "relatedResource must be one or more objects")
    ids = [resource.get("id") for resource in resources]
    if not all(is_url(each) for each in ids) or len(set(ids)) != len(ids):
        raise _broken("2.0", "relatedResource", "each relatedResource must have its own id, a URL")
    if not all("digestSRI" in resource or "digestMultibase" in resource for resource in resources):
        raise _broken("2.0", "relatedResource", "each relatedResource must have a digestSRI or digestMultibase")


def _names(document: dict) -> None:
    issuer = document.get("issuer")
    for where, node in (("the credential", document), ("the issuer", issuer if isinstance(issuer, dict) else {})):
        for name in ("name", "description"):
            if name in node and not _is_text(node[name]):
                raise _broken("2.0", "name", f"the {name} of {where} must be a string or language value objects")


def _is_text(value: object) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(v, str) or _is_language_value(v) for v in values)


def _is_language_value(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("@value"), str)
        and set(value) <= {"@value", "@language", "@direction"}
        and all(isinstance(value.get(key, ""), str) for key in ("@language", "@direction"))
    )


def _objects(node: object, where: str):
    """Every object in the credential with where it is (its JSON-LD contexts and literals left out)."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key not in ("@context", "@value"):
                yield from _objects(value, key if where == "credential" else f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value, where)
