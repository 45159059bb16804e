"""Domain documents: a batch of produce, its inspections and the certificates issued for them."""

from __future__ import annotations

import json
import secrets
import unicodedata
from enum import StrEnum

from django.db import models as django_models
from mongoengine import (
    DENY,
    BooleanField,
    DateField,
    DateTimeField,
    Document,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
    ValidationError,
)
from pymongo.errors import DuplicateKeyError

from certificates.validators import (
    CLOCK_SKEW,
    FOREIGN_MATTER_PERCENT,
    MOISTURE_PERCENT,
    PESTICIDE_RESIDUE_MG_PER_KG,
    PLAIN_TEXT,
    QUANTITY,
    TEXT_LIMITS,
    document_rule,
    normalise_newlines,
    validate_batch_number,
    validate_country,
    validate_hs_code,
)
from core.clock import today, utcnow
from core.documents import prefix_bounds, prefix_range

QUANTITY_UNITS = ("kg", "t", "lb", "bag", "carton")


def text_field(name: str, *, max_length: int | None = None, **kwargs) -> StringField:
    """Free text that is signed or printed: within its limit, with nothing hidden in it."""
    limit = max_length or TEXT_LIMITS[name]
    return StringField(max_length=limit, validation=document_rule(PLAIN_TEXT[name]), **kwargs)


class BatchStatus(StrEnum):
    SUBMITTED = "submitted"
    INSPECTION_FAILED = "inspection_failed"
    AWAITING_CERTIFICATE = "awaiting_certificate"
    CERTIFIED = "certified"
    REVOKED = "revoked"


def search_words(text: str) -> list[str]:
    """`text`'s words as product search compares them: NFKC, case-folded, split at spaces, punctuation
    and symbols (so "Arabica-coffee" is two words, and a Devanagari vowel sign stays in its word)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(" " if unicodedata.category(char)[0] in "ZPSC" else char for char in folded).split()


def product_keys(product: str) -> list[str]:
    """The product from each of its words to its end, as search_words sees them: "Arabica coffee beans"
    is ["arabica coffee beans", "coffee beans", "beans"], so "coffee" or "COFFEE BE" finds it by prefix."""
    words = search_words(product)
    return [" ".join(words[start:]) for start in range(len(words))]


class Batch(Document):
    batch_number = StringField(required=True, unique=True, validation=document_rule(validate_batch_number))
    # The batch number in upper case, for case-insensitive prefix search served by an index.
    search_key = StringField()
    # product_keys(product), kept by clean(): the list indexes' one array (multikey) field — MongoDB
    # allows one per compound index —, last like search_key: checked on the keys, never sorted on.
    product_keys = ListField(StringField())
    exporter = StringField(required=True, max_length=150)  # the exporter's username
    exporter_name = text_field("exporter_name", required=True)  # as on the certificate
    product = text_field("product", required=True)
    variety = text_field("variety")
    hs_code = StringField(validation=document_rule(validate_hs_code))
    quantity = FloatField(required=True, validation=document_rule(QUANTITY))
    unit = StringField(required=True, choices=QUANTITY_UNITS)
    origin_country = StringField(required=True, validation=document_rule(validate_country))
    origin_region = text_field("origin_region")
    farm = text_field("farm")
    harvest_date = DateField()
    destination_country = StringField(validation=document_rule(validate_country))
    status = StringField(required=True, choices=list(BatchStatus), default=BatchStatus.SUBMITTED)
    created_at = DateTimeField(required=True, default=utcnow)
    updated_at = DateTimeField(required=True, default=utcnow)

    meta = {
        "collection": "batches",
        "auto_create_index": False,
        "indexes": [
            # One per list and filter, in ESR order: the equality fields (the exporter's own batches,
            # a status), then the sort, then the ranges (q, a batch number prefix, and product, a prefix
            # of product_keys), checked on the keys as the index is walked in the sort's order.
            ("exporter", "-created_at", "search_key", "product_keys"),
            ("exporter", "status", "-created_at", "search_key", "product_keys"),
            ("status", "-created_at", "search_key", "product_keys"),
            ("-created_at", "search_key", "product_keys"),
            # The list pages' origin filter, for an exporter's own batches and for everyone's.
            ("exporter", "origin_country", "-created_at", "search_key", "product_keys"),
            ("exporter", "origin_country", "status", "-created_at", "search_key", "product_keys"),
            ("origin_country", "-created_at", "search_key", "product_keys"),
            ("origin_country", "status", "-created_at", "search_key", "product_keys"),
            # The admin's list sorted by batch number, by status or not.
            ("status", "batch_number", "search_key", "product_keys"),
            ("batch_number", "search_key", "product_keys"),
            # Unique: batch numbers that differ only by case are one number to whoever reads a certificate.
            # Sparse: batches stored before search_key existed have none until ensure_indexes fills it in.
            {"fields": ["search_key"], "name": "batch_number_any_case", "unique": True, "sparse": True},
        ],
    }
    obsolete_indexes = (
        "search_key_1",  # the same key, not unique
        # Extended by the ones above, so that a prefix search is checked on the index keys.
        "exporter_1_created_at_-1",
        "status_1_created_at_1",
        "created_at_-1",
        # An exporter's prefix search: counted and listed on exporter_1_created_at_-1_search_key_1 now.
        "exporter_1_search_key_1",
        # Extended by product_keys, so that a product search is checked on the index keys too.
        "exporter_1_created_at_-1_search_key_1",
        "exporter_1_status_1_created_at_-1_search_key_1",
        "status_1_created_at_-1_search_key_1",
        "created_at_-1_search_key_1",
        "exporter_1_origin_country_1_created_at_-1_search_key_1",
        "exporter_1_origin_country_1_status_1_created_at_-1_search_key_1",
        "origin_country_1_created_at_-1_search_key_1",
        "origin_country_1_status_1_created_at_-1_search_key_1",
        "status_1_batch_number_1_search_key_1",
        "batch_number_1_search_key_1",
    )

    def clean(self) -> None:
        if self.harvest_date and self.harvest_date > today():
            raise ValidationError("The harvest date cannot be in the future.", field_name="harvest_date")
        self.search_key = (self.batch_number or "").upper()
        self.product_keys = product_keys(self.product or "")
        self.updated_at = utcnow()

    @classmethod
    def backfill(cls) -> int:
        """Give batches stored before search_key or product_keys existed their keys (run by ensure_indexes)."""
        filled = 0
        for batch in cls.objects(search_key=None).only("batch_number"):
            filled += cls.objects(pk=batch.pk).update_one(set__search_key=batch.batch_number.upper())
        for batch in cls.objects(product_keys__exists=False).only("product"):
            filled += cls.objects(pk=batch.pk).update_one(set__product_keys=product_keys(batch.product or ""))
        return filled

    @classmethod
    def index_clashes(cls) -> dict[str, str]:
        """Stored batch numbers that differ only by case, which keep the unique index on the upper-cased
        number from being built: what they are and what to do, per index (ensure_indexes asks first)."""
        groups = cls._get_collection().aggregate(
            [
                {"$group": {"_id": {"$toUpper": "$batch_number"}, "numbers": {"$addToSet": "$batch_number"}}},
                {"$match": {"numbers.1": {"$exists": True}}},
                {"$sort": {"_id": 1}},
            ],
            allowDiskUse=True,
        )
        clashes = [sorted(group["numbers"]) for group in groups]
        if not clashes:
            return {}
        listed = "; ".join(" and ".join(repr(number) for number in numbers) for numbers in clashes[:20])
        more = f" and {len(clashes) - 20} more" if len(clashes) > 20 else ""
        example = clashes[0][-1]
        return {
            "batch_number_any_case": (
                f"batch numbers that differ only by case, which nobody reading a certificate can tell apart: "
                f"{listed}{more}. Rename one of each, preferably one without a certificate (a certificate keeps the "
                f"number it was issued with), e.g. db.batches.updateOne({{batch_number: '{example}'}}, {{$set: "
                f"{{batch_number: '{example}-2', search_key: '{example.upper()}-2'}}}}), then run ensure_indexes again."
            )
        }

    @classmethod
    def matching(cls, queryset, prefix: str):
        """`queryset` narrowed to batch numbers starting with `prefix`, in any case."""
        return queryset.filter(**prefix_range("search_key", prefix.upper()))

    @classmethod
    def with_product(cls, queryset, text: str):
        """`queryset` narrowed to products with a word starting with `text` (and going on as it does),
        in any case: "coffee" finds "Arabica coffee beans". $elemMatch, so that one key meets both ends of
        the range (without it, "apple zebra" would match: one word ≥ "coffee", another < its end)."""
        words = " ".join(search_words(text))
        if not words:
            return queryset
        return queryset.filter(product_keys__match=prefix_bounds(words))

    def __str__(self) -> str:
        return self.batch_number


class InspectionOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class Inspection(Document):
    batch = ReferenceField(Batch, required=True, reverse_delete_rule=DENY)
    inspector = StringField(required=True, max_length=150)  # the inspector's username
    agency = text_field("agency", required=True)  # as on the certificate
    inspected_at = DateTimeField(required=True, default=utcnow)
    moisture_percent = FloatField(required=True, validation=document_rule(MOISTURE_PERCENT))
    pesticide_residue_mg_per_kg = FloatField(required=True, validation=document_rule(PESTICIDE_RESIDUE_MG_PER_KG))
    foreign_matter_percent = FloatField(validation=document_rule(FOREIGN_MATTER_PERCENT))
    grade = text_field("grade")
    organic = BooleanField(default=False)
    outcome = StringField(required=True, choices=list(InspectionOutcome))
    notes = text_field("notes", max_length=2000)
    created_at = DateTimeField(required=True, default=utcnow)
    updated_at = DateTimeField(required=True, default=utcnow)

    meta = {
        "collection": "inspections",
        "auto_create_index": False,
        "indexes": [
            ("batch", "-inspected_at"),
            ("inspector", "-inspected_at"),
            ("inspector", "outcome", "-inspected_at"),  # an inspector's history, by result
            ("outcome", "-inspected_at"),
            "-inspected_at",
        ],
    }

    def clean(self) -> None:
        if self.notes:
            self.notes = normalise_newlines(self.notes)
        if self.inspected_at and self.inspected_at > utcnow() + CLOCK_SKEW:
            raise ValidationError("The inspection date cannot be in the future.", field_name="inspected_at")
        self.updated_at = utcnow()

    @property
    def passed(self) -> bool:
        return self.outcome == InspectionOutcome.PASSED


def certificate_key(inspection_id: object, revision: int = 0) -> str:
    """The key that allows exactly one certificate per passed inspection (and reissue)."""
    return f"{inspection_id}:{revision}"


class CertificateStatus(StrEnum):
    # Stored, not yet in force: the certificate it supersedes is revoked between the two (lifecycle.store_active).
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"


class IssuedVia(StrEnum):
    """Who signed a certificate: the local mock issuer, or Inji Certify."""

    MOCK = "mock"
    INJI = "inji"


class Certificate(Document):
    certificate_key = StringField(required=True, unique=True)
    batch = ReferenceField(Batch, required=True, reverse_delete_rule=DENY)
    inspection = ReferenceField(Inspection, required=True, reverse_delete_rule=DENY)
    exporter = StringField()  # the batch's exporter, so "my certificates" is one indexed query
    revision = IntField(required=True, default=0, min_value=0)
    job_id = ObjectIdField()  # the IssuanceJob that issued it
    credential_json = StringField(required=True)  # exactly as issued, so signatures keep verifying
    credential_id = StringField(required=True, unique=True)
    issuer_did = StringField(required=True)
    issued_via = StringField(required=True, choices=list(IssuedVia))
    issued_at = DateTimeField(required=True)
    valid_until = DateTimeField()
    status = StringField(required=True, choices=list(CertificateStatus), default=CertificateStatus.ACTIVE)
    status_list_id = StringField()
    status_list_index = IntField(min_value=0)
    revoked_at = DateTimeField()
    revoked_by = StringField()
    revocation_reason = StringField(max_length=500)
    # A passing re-test's certificate supersedes the batch's previous one; both sides are linked.
    supersedes = ObjectIdField()
    superseded_by = ObjectIdField()
    # Whether the issuer's status list took the revocation (Inji Certify may be unreachable).
    revocation_published = BooleanField()
    revocation_publish_error = StringField(max_length=1000)
    # Importers (usernames) the exporter shared the certificate with.
    shared_with = ListField(StringField())
    # The unguessable part of the public certificate page's URL (what a dense QR code carries).
    public_token = StringField(required=True, unique=True, default=lambda: secrets.token_urlsafe(18))
    created_at = DateTimeField(required=True, default=utcnow)

    meta = {
        "collection": "certificates",
        "auto_create_index": False,
        "indexes": [
            ("batch", "-issued_at"),
            # One active certificate per batch, even when two workers store certificates at once.
            {
                "fields": ["batch"],
                "name": "one_active_per_batch",
                "unique": True,
                "partialFilterExpression": {"status": "active"},
            },
            ("inspection", "-revision"),
            ("status", "-issued_at"),
            ("exporter", "-issued_at"),
            ("shared_with", "-issued_at"),
            # The list pages' status filter on an exporter's and an importer's certificates.
            ("exporter", "status", "-issued_at"),
            ("shared_with", "status", "-issued_at"),
            "-issued_at",
        ],
    }

    @property
    def credential(self) -> dict:
        return json.loads(self.credential_json)

    def __str__(self) -> str:
        return self.credential_id


class StatusList(Document):
    """A W3C Bitstring Status List for revocation; the revoked indexes are its set bits. Only a
    revocation writes it: the position each issuance takes is counted in StatusListCounter."""

    list_id = StringField(required=True, unique=True)
    size = IntField(required=True, min_value=131_072)
    revoked = ListField(IntField())
    updated_at = DateTimeField(required=True, default=utcnow)

    # Not strict: a list stored before the split still holds its counter (next_index) until
    # StatusListCounter.open moves it out.
    meta = {"collection": "status_lists", "auto_create_index": False, "strict": False}


class StatusListCounter(Document):
    """The next free position of one status list. Every issuance `$inc`s it, so it is a small document
    of its own: beside the revoked indexes (up to 1.5 MB in a list of 131,072) every increment would
    rewrite them, and a revocation would contend with every issuance."""

    list_id = StringField(primary_key=True)
    number = IntField(required=True, min_value=1)  # list_id as a number: lists fill in this order
    next_index = IntField(required=True, min_value=0)

    meta = {
        "collection": "status_list_counters",
        "auto_create_index": False,
        # "The first list with room": sorted by number, then the range on next_index (ESR).
        "indexes": [{"fields": ["number", "next_index"], "name": "first_with_room"}],
    }

    @classmethod
    def open(cls, number: int, size: int) -> None:
        """Make list `number` ready to hand out positions. Its bits come first, so that no certificate
        ever points into a list that cannot be served; then its counter, carried over from the list
        document where a release before the split kept it (idempotent; safe from several processes)."""
        list_id = str(number)
        lists = StatusList._get_collection()
        try:
            lists.update_one(
                {"list_id": list_id},
                {"$setOnInsert": {"size": size, "revoked": [], "updated_at": utcnow()}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # another process created it a moment ago
        stored = lists.find_one({"list_id": list_id}, {"next_index": 1}) or {}
        counter = {"_id": list_id, "number": number, "next_index": stored.get("next_index", 0)}
        try:
            cls._get_collection().insert_one(counter)
        except DuplicateKeyError:
            pass  # opened by another process, or carried over already
        if "next_index" in stored:
            lists.update_one({"list_id": list_id}, {"$unset": {"next_index": ""}})

    @classmethod
    def backfill(cls) -> int:
        """Carry over the counters of lists stored before the split (ensure_indexes runs this; an
        allocation does the same for any list it meets first)."""
        carried = 0
        for stored in StatusList._get_collection().find({"next_index": {"$exists": True}}, {"list_id": 1, "size": 1}):
            cls.open(int(stored["list_id"]), stored["size"])
            carried += 1
        return carried


class CertificateAdminPermissions(django_models.Model):
    """No table: carries the permission to revoke certificates from the admin."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("revoke_certificate", "Can revoke certificates")]
