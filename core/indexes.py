"""MongoDB indexes as part of the schema: declared on the documents, built by one command, checked
before a release serves and by every process that claims work.

Without the unique indexes, duplicate jobs and certificates can be stored; without the claim and
lease-recovery indexes, every claim scans the queue. A deploy refuses a database whose indexes are
not as declared (`manage.py ensure_indexes --check`, or `manage.py check --deploy`); issuance
workers refuse to start on one (require()), naming what is missing and the command that fixes it
(`manage.py ensure_indexes`). The web app boots whatever the database says and reports it on
/readyz: a gunicorn worker that exits while booting takes the whole server down. Building indexes
is `ensure_indexes`'s job alone: on a large replica set it takes a while, and no process should
block on it at every start. (The embedded store, new at every start, is the exception:
core/mongo.py builds its indexes as the documents are registered.)
"""

from __future__ import annotations

from dataclasses import dataclass

import mongoengine
import pymongo
from django.core.exceptions import ImproperlyConfigured
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT = 85, 86

_documents: list[type[mongoengine.Document]] = []


def track(document: type[mongoengine.Document]) -> bool:
    """Check and build `document`'s indexes from now on (core.mongo.register); False if already tracked."""
    if document in _documents:
        return False
    _documents.append(document)
    return True


def documents() -> list[type[mongoengine.Document]]:
    """The registered documents, whose indexes every process relies on."""
    return list(_documents)


@dataclass(frozen=True)
class IndexProblem:
    collection: str
    index: str
    problem: str

    def __str__(self) -> str:
        return f"{self.collection}.{self.index}: {self.problem}"


def declared(document) -> list[dict]:
    """Each index the document declares: name, keys and options, as MongoDB will report them."""
    specs = []
    for spec in document._meta.get("index_specs", []):
        keys = [(field, direction) for field, direction in spec["fields"]]
        name = spec.get("name") or "_".join(f"{field}_{direction}" for field, direction in keys)
        options = _options(spec)
        specs.append({"name": name, "keys": keys, "options": options})
    return specs


def _options(values: dict) -> dict:
    """The options that change an index; False and None mean "not set" (expireAfterSeconds 0 does not)."""
    return {
        option: values[option] for option in OPTIONS if values.get(option) is not None and values[option] is not False
    }


def problems() -> list[IndexProblem]:
    found = []
    for document in documents():
        collection = document._get_collection()
        existing = collection.index_information()
        for spec in declared(document):
            found.extend(_compare(collection.name, spec, existing))
    return found


def _compare(collection: str, spec: dict, existing: dict) -> list[IndexProblem]:
    same_keys = [name for name, info in existing.items() if list(info["key"]) == spec["keys"]]
    if spec["name"] not in existing and not same_keys:
        return [IndexProblem(collection, spec["name"], "missing")]
    if spec["name"] not in existing:
        return [IndexProblem(collection, spec["name"], f"exists under the name {same_keys[0]!r}")]
    info = existing[spec["name"]]
    if list(info["key"]) != spec["keys"]:
        return [IndexProblem(collection, spec["name"], f"has the keys {list(info['key'])}, not {spec['keys']}")]
    have = _options(info)
    if have != spec["options"]:
        return [IndexProblem(collection, spec["name"], f"has the options {have}, not {spec['options']}")]
    return []


def unmet() -> list[str]:
    """What keeps the code from relying on this database: each index not as declared, or that MongoDB
    did not list them (unreachable, or the user may not read the database)."""
    try:
        return [str(problem) for problem in problems()]
    except PyMongoError as exc:
        return [_unlisted(exc)]


def require() -> None:
    """Refuse to start a process on a database whose indexes are not what the code relies on, or
    that does not answer: one clear line (systemd logs it and starts the process again)."""
    try:
        found = problems()
    except PyMongoError as exc:
        raise ImproperlyConfigured(_unlisted(exc)) from None
    if found:
        listed = "; ".join(str(problem) for problem in found[:10])
        raise ImproperlyConfigured(
            f"MongoDB lacks indexes this process relies on ({listed}): run python manage.py ensure_indexes"
        )


def _unlisted(exc: PyMongoError) -> str:
    return (
        f"MongoDB did not list its indexes ({exc.__class__.__name__}): check that it is reachable from this "
        "host and that MONGODB_URI's user may read the database"
    )


@dataclass(frozen=True)
class Outcome:
    collection: str
    created: list[str]
    dropped: list[str]
    failures: list[str]  # what went wrong and what to do


def ensure() -> list[Outcome]:
    """Create every declared index (idempotent), then drop those a document lists as obsolete.
    A conflict is reported per index with what to do, never as a traceback. No deadline: building
    an index on a large collection takes as long as it takes (finding the primary stays bounded)."""
    with pymongo.timeout(0):  # 0: no client-side operation timeout for this block
        return [_ensure(document) for document in documents()]


def _ensure(document) -> Outcome:
    collection = document._get_collection()
    # Stored values that would break a unique index, in the document's own words (which batches, what
    # to do). Then nothing is dropped, so an index being replaced keeps serving meanwhile.
    clashes = getattr(document, "index_clashes", dict)()
    obsolete = [name for name in getattr(document, "obsolete_indexes", ()) if name in collection.index_information()]
    created, dropped, failures = [], [], [f"{name}: {problem}" for name, problem in clashes.items()]
    for spec in declared(document):
        if spec["name"] in clashes:
            continue
        failure = _build(collection, spec, obsolete, dropped)
        if failure:
            failures.append(failure)
        else:
            created.append(spec["name"])
    if not failures:
        # Only now: dropped first, an obsolete unique index would leave a window in which duplicates
        # could be stored, and its replacement could then not be built.
        for name in obsolete:
            if name not in dropped:
                collection.drop_index(name)
                dropped.append(name)
        backfill = getattr(document, "backfill", None)  # derived keys for documents stored before them
        if backfill is not None:
            backfill()
    return Outcome(collection.name, created, dropped, failures)


def _build(collection, spec: dict, obsolete: list[str], dropped: list[str]) -> str | None:
    """Build one declared index beside whatever it replaces; what went wrong and what to do, or None."""
    try:
        create(collection, spec)
    except DuplicateKeyError:
        return _duplicates(spec)
    except OperationFailure as exc:
        same_keys = [name for name in obsolete if _keys(collection, name) == spec["keys"]]
        if exc.code not in (INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT) or not same_keys:
            return _conflict(collection.name, spec, exc)
        # Before MongoDB 5.0 an index's identity is its keys (and collation): the replacement cannot
        # be built beside an obsolete index with the same keys and other unique/sparse/partial options.
        try:
            _replace_through_bridge(collection, spec, same_keys[0])
        except DuplicateKeyError:
            return _duplicates(spec)
        except OperationFailure as bridge_exc:
            return _conflict(collection.name, spec, bridge_exc)
        dropped.append(same_keys[0])
    return None


def _duplicates(spec: dict) -> str:
    return (
        f"{spec['name']}: documents already share a value of {[key for key, _ in spec['keys']]}, so the "
        "unique index cannot be built. Find them with an aggregation grouping on those fields, keep one "
        "of each, then run ensure_indexes again."
    )


def _keys(collection, name: str) -> list:
    return list(collection.index_information()[name]["key"])


def _replace_through_bridge(collection, spec: dict, old: str) -> None:
    """Replace `old` by `spec` (same keys) without a moment in which `old`'s uniqueness is unenforced:
    a temporary copy of `old` with every key direction reversed — another key pattern, so it may
    coexist with both, and the same uniqueness — holds the constraint while `old` is dropped and
    `spec` built. A non-unique `old` guards nothing: it is simply dropped first."""
    info = collection.index_information()[old]
    bridge = None
    if info.get("unique"):
        bridge = {
            "name": f"{old}_bridge",
            "keys": [(field, -direction) for field, direction in info["key"]],
            "options": _options(info),
        }
        create(collection, bridge)
    collection.drop_index(old)
    create(collection, spec)
    if bridge is not None:
        collection.drop_index(bridge["name"])


def create(collection, spec: dict) -> None:
    collection.create_index(spec["keys"], name=spec["name"], **spec["options"])


def create_all(document) -> None:
    """The embedded store's path: a new, empty database gets every index at once."""
    collection = document._get_collection()
    for spec in declared(document):
        create(collection, spec)


def _conflict(collection: str, spec: dict, exc: OperationFailure) -> str:
    name = spec["name"]
    if exc.code == INDEX_OPTIONS_CONFLICT:
        return (
            f"{name}: MongoDB holds an index with these keys under another name, or one named {name} that differs "
            f"in an option such as expireAfterSeconds (IndexOptionsConflict, code 85). Compare "
            f"db.{collection}.getIndexes() with the declaration, drop the one that differs, and run "
            "ensure_indexes again."
        )
    if exc.code == INDEX_KEY_SPECS_CONFLICT:
        return (
            f"{name}: an index named {name} exists with other keys or, on MongoDB 5.0 and later, other unique, "
            f"sparse or partial-filter options (IndexKeySpecsConflict, code 86). Drop it "
            f"(db.{collection}.dropIndex('{name}')) and run ensure_indexes again."
        )
    return f"{name}: MongoDB refused it (code {exc.code}): {str(exc)[:200]}"
