"""`ensure_indexes` builds an index's replacement before it drops the old one: no moment in which an
obsolete unique index is gone and its successor not yet built (duplicates could be stored then, and
the successor could not be built at all).

MongoDB 5.0 and later let two indexes with the same keys coexist when they differ in unique, sparse
or partial filter (mongomock does too); MongoDB 4.4 refuses the second (IndexOptionsConflict, 85),
so there a temporary "bridge" — the old index with its key directions reversed, the same
uniqueness — holds the constraint while the old one is dropped and the new one built.
"""

from __future__ import annotations

import mongomock.collection
import pymongo.collection
import pytest
from django.core.management import call_command
from pymongo.errors import OperationFailure

from core import indexes
from notifications.models import Notification

pytestmark = pytest.mark.usefixtures("indexes_restored")


@pytest.fixture
def old_dedupe_index():
    """A deployment from before the partial dedupe index: a unique, sparse one on the same key."""
    collection = Notification._get_collection()
    collection.drop_index("dedupe")
    collection.create_index("dedupe_key", name="dedupe_key_1", unique=True, sparse=True)
    return collection


@pytest.fixture
def steps(monkeypatch):
    """Each notifications index built or dropped, in order, with whether `dedupe_key` was held unique
    right after."""
    taken: list[tuple[str, str, bool]] = []
    real_create = indexes.create

    def unique_on_dedupe_key(collection) -> bool:
        return any(
            info.get("unique") and [field for field, _ in info["key"]] == ["dedupe_key"]
            for info in collection.index_information().values()
        )

    def create(collection, spec):
        real_create(collection, spec)
        if collection.name == "notifications":
            taken.append(("create", spec["name"], unique_on_dedupe_key(collection)))

    def recording(real_drop):
        def drop_index(self, name, *args, **kwargs):
            real_drop(self, name, *args, **kwargs)
            if self.name == "notifications":
                taken.append(("drop", name, unique_on_dedupe_key(self)))

        return drop_index

    monkeypatch.setattr(indexes, "create", create)
    for collection_class in (mongomock.collection.Collection, pymongo.collection.Collection):  # embedded, server
        monkeypatch.setattr(collection_class, "drop_index", recording(collection_class.drop_index))
    return taken


def as_mongodb_4_4(monkeypatch):
    """Index builds refused as MongoDB 4.4 refuses them: same keys under another name is a conflict."""
    real_create = indexes.create

    def create(collection, spec):
        for name, info in collection.index_information().items():
            if name != spec["name"] and list(info["key"]) == spec["keys"]:
                raise OperationFailure(f"Index already exists with a different name: {name}", 85)
        real_create(collection, spec)

    monkeypatch.setattr(indexes, "create", create)


def test_the_replacement_is_built_before_the_obsolete_index_is_dropped(old_dedupe_index, steps, capsys):
    call_command("ensure_indexes")

    assert [step for step in steps if "dedupe" in step[1]] == [
        ("create", "dedupe", True),
        ("drop", "dedupe_key_1", True),
    ]
    assert "notifications: dropped the obsolete index dedupe_key_1" in capsys.readouterr().out
    assert indexes.problems() == [] and "dedupe_key_1" not in old_dedupe_index.index_information()


def test_where_the_server_refuses_the_same_keys_twice_a_bridge_holds_the_uniqueness(
    old_dedupe_index, steps, monkeypatch
):
    as_mongodb_4_4(monkeypatch)

    call_command("ensure_indexes")

    assert [step for step in steps if "dedupe" in step[1]] == [
        ("create", "dedupe_key_1_bridge", True),
        ("drop", "dedupe_key_1", True),
        ("create", "dedupe", True),
        ("drop", "dedupe_key_1_bridge", True),
    ]
    info = old_dedupe_index.index_information()
    assert indexes.problems() == [] and not {"dedupe_key_1", "dedupe_key_1_bridge"} & set(info)


def test_an_obsolete_index_stays_while_its_replacement_cannot_be_built(old_dedupe_index, monkeypatch, capsys):
    def refused(collection, spec):
        raise OperationFailure("an existing index has the same name as the requested index", 86)

    monkeypatch.setattr(indexes, "create", refused)

    with pytest.raises(Exception, match="fix what is listed above"):
        call_command("ensure_indexes")

    assert "dedupe_key_1" in old_dedupe_index.index_information()
    assert "notifications.dedupe: an index named dedupe exists with other keys" in capsys.readouterr().err
