"""MongoDB indexes as part of the schema: declared on the documents, built by one command, checked
by every process that relies on them.

Without the unique indexes, duplicate jobs and certificates can be stored; without the claim and
lease-recovery indexes, every claim scans the queue. So the web app and the workers verify at
start that every declared index exists with its declared options, and refuse to start otherwise,
naming what is missing and the command that fixes it (`manage.py ensure_indexes`). Building
indexes is that command's job alone: on a large replica set it takes a while, and no worker
should block on it at every start. (The embedded store, new at every start, is the exception:
core/mongo.py builds its indexes as the documents are registered.)
"""

from __future__ import annotations

from dataclasses import dataclass

import mongoengine
from django.core.exceptions import ImproperlyConfigured
from pymongo.errors import DuplicateKeyError, OperationFailure

OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT, DUPLICATE_KEY = 85, 86, 11000

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


def require() -> None:
    """Refuse to start a process on a database whose indexes are not what the code relies on."""
    found = problems()
    if found:
        listed = "; ".join(str(problem) for problem in found[:10])
        raise ImproperlyConfigured(
            f"MongoDB lacks indexes this process relies on ({listed}): run python manage.py ensure_indexes"
        )


@dataclass(frozen=True)
class Outcome:
    collection: str
    created: list[str]
    dropped: list[str]
    failures: list[str]  # what went wrong and what to do


def ensure() -> list[Outcome]:
    """Create every declared index (idempotent), first dropping those a document lists as obsolete.
    A conflict is reported per index with what to do, never as a traceback."""
    return [_ensure(document) for document in documents()]


def _ensure(document) -> Outcome:
    collection = document._get_collection()
    # Stored values that would break a unique index, in the document's own words (which batches, what
    # to do). Found before anything is dropped, so an index being replaced keeps serving meanwhile.
    clashes = getattr(document, "index_clashes", dict)()
    obsolete = () if clashes else getattr(document, "obsolete_indexes", ())
    dropped = [name for name in obsolete if name in collection.index_information()]
    for name in dropped:
        collection.drop_index(name)
    created, failures = [], [f"{name}: {problem}" for name, problem in clashes.items()]
    for spec in declared(document):
        if spec["name"] in clashes:
            continue
        try:
            create(collection, spec)
        except DuplicateKeyError:
            failures.append(
                f"{spec['name']}: documents already share a value of {[key for key, _ in spec['keys']]}, so the "
                "unique index cannot be built. Find them with an aggregation grouping on those fields, keep one "
                "of each, then run ensure_indexes again."
            )
        except OperationFailure as exc:
            failures.append(_conflict(spec, exc))
        else:
            created.append(spec["name"])
    backfill = getattr(document, "backfill", None)  # derived keys for documents stored before them
    if backfill is not None and not failures:
        backfill()
    return Outcome(collection.name, created, dropped, failures)


def create(collection, spec: dict) -> None:
    collection.create_index(spec["keys"], name=spec["name"], **spec["options"])


def create_all(document) -> None:
    """The embedded store's path: a new, empty database gets every index at once."""
    collection = document._get_collection()
    for spec in declared(document):
        create(collection, spec)


def _conflict(spec: dict, exc: OperationFailure) -> str:
    if exc.code == INDEX_OPTIONS_CONFLICT:
        return (
            f"{spec['name']}: an index with these keys exists under another name or with other options. Drop it "
            f"(db.collection.dropIndex(…)) and run ensure_indexes again."
        )
    if exc.code == INDEX_KEY_SPECS_CONFLICT:
        return (
            f"{spec['name']}: an index of that name exists with other keys. Drop it "
            f"(db.collection.dropIndex('{spec['name']}')) and run ensure_indexes again."
        )
    if exc.code == DUPLICATE_KEY:
        return f"{spec['name']}: duplicate values prevent the unique index; remove the duplicates first."
    return f"{spec['name']}: MongoDB refused it (code {exc.code}): {str(exc)[:200]}"
