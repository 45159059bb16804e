"""Canonicalisation through pyoxigraph (Rust) is RDFC-1.0, gives what PyLD gives for everything we
sign and verify, and refuses what PyLD's safe mode refuses — so moving to it changed no signature.

The W3C vectors are ../shared/vectors/w3c/rdf-canon (w3c/rdf-canon, tests/rdfc10, W3C licences there).
"""

from __future__ import annotations

import csv

import pyoxigraph
import pytest
from pyld.canon import URDNA2015

from credentials import jsonld
from credentials.jsonld import (
    CanonicalisationError,
    UndefinedTerm,
    canonical_nquads,
    canonicalise,
)
from tests.engine.conftest import PRODUCE_CONTEXT
from tests.shared_vectors import W3C

VECTORS = W3C / "rdf-canon"


def vectors() -> list:
    """Every RDFC-1.0 evaluation test but test074, the poison clique that a conforming implementation
    must refuse for its cost: pyoxigraph has no such limit, so a document's quads reach it only when
    their blank nodes form a tree cheap to label (credentials/blank_nodes.py, which refuses test074:
    tests/engine/test_blank_nodes.py). canonical_nquads itself checks nothing, so these vectors,
    most of them graphs rather than trees, test pyoxigraph's RDFC as it is."""
    with (VECTORS / "manifest.csv").open(encoding="utf-8") as manifest:
        rows = [row for row in csv.DictReader(manifest) if row["rdfc10"] == "TRUE"]
    return [
        pytest.param(row["test"], row["hashAlgorithm"] or "SHA256", id=f"{row['test']} {row['name']}") for row in rows
    ]


@pytest.mark.parametrize("test, hash_algorithm", vectors())
def test_the_w3c_rdfc_vectors(test, hash_algorithm):
    quads = pyoxigraph.parse(path=VECTORS / f"{test}-in.nq", format=pyoxigraph.RdfFormat.N_QUADS)
    algorithm = {
        "SHA256": pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0,
        "SHA384": pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0_SHA_384,
    }[hash_algorithm]

    assert canonical_nquads(quads, algorithm) == (VECTORS / f"{test}-rdfc10.nq").read_text(encoding="utf-8")


def test_the_vectors_are_all_there():
    assert len(vectors()) == 64


def through_pyld(document: dict) -> str:
    """PyLD alone: its reading of the JSON-LD, and its URDNA2015."""
    return URDNA2015().main(jsonld._read_with_pyld(document), {"format": "application/n-quads"})


def through_oxigraph(document: dict) -> str:
    contexts = jsonld.pyoxigraph_contexts(document)
    assert contexts is not None, "would go to PyLD"
    return jsonld._canonicalise_with_oxigraph(document, contexts)


def test_a_protected_term_redefined_by_a_later_context_is_refused():
    """Unused terms are left out of what pyoxigraph reads, but never one defined twice: the
    credentials v1 context may not redefine what v2 protects, and JSON-LD must still say so."""
    document = credential_with({})
    document["@context"] = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1"]
    with pytest.raises(CanonicalisationError, match="protected term"):
        canonicalise(document)


VALUES = {
    "integral float": 12.0,
    "fraction": 0.1,
    "negative zero": -0.0,
    "large integer": 10**22,
    "large float": 1e21,
    "small float": 1.5e-300,
    "true": True,
    "empty string": "",
    "quotes and backslashes": 'a "b" \\ c',
    "newline and carriage return": "a\nb\r",
    "astral plane": "🌾 ",
    "language": {"@value": "riz", "@language": "fr"},
    "typed": {"@value": "2026-01-01", "@type": "http://www.w3.org/2001/XMLSchema#date"},
    "list": {"@list": [1, "two", 3.5]},
    "empty list": [],
    "null": None,
    "absolute IRI property": {"https://example.org/vocab#extra": "x"},
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_awkward_values_canonicalise_the_same_both_ways(value):
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", PRODUCE_CONTEXT],
        "id": "urn:uuid:0f0e3f4c-9a7e-4c8c-8d77-5b8a4a4b4b4b",
        "type": "VerifiableCredential",
        "credentialSubject": {"type": "ProduceQualityAttestation", "name": value},
    }
    assert through_oxigraph(document) == through_pyld(document)


DOUBLES_WRITTEN_DIFFERENTLY = {
    "17 significant digits": 0.30000000000000004,
    "subnormal": 5e-324,
    "big": 1.7976931348623157e308,
}


@pytest.mark.parametrize("value", DOUBLES_WRITTEN_DIFFERENTLY.values(), ids=DOUBLES_WRITTEN_DIFFERENTLY.keys())
def test_doubles_pyoxigraph_writes_differently_are_canonicalised_as_json_ld_says(value, monkeypatch):
    """JSON-LD (and Digital Bazaar, and PyLD) write a double from 16 significant digits; pyoxigraph
    from the shortest that reads back. Where those differ the document goes to PyLD."""
    document = credential_with({"type": "ProduceQualityAttestation", "name": value})
    monkeypatch.setattr(jsonld, "_canonicalise_with_oxigraph", lambda *args: pytest.fail("went to pyoxigraph"))

    assert canonicalise(document) == through_pyld(document)


def credential_with(subject: dict) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", PRODUCE_CONTEXT],
        "id": "urn:uuid:0f0e3f4c-9a7e-4c8c-8d77-5b8a4a4b4b4b",
        "type": "VerifiableCredential",
        "issuer": "did:example:issuer",
        "credentialSubject": subject,
    }


@pytest.mark.parametrize(
    "subject, complaint",
    [
        ({"extraClaim": "added by a forger"}, "'extraClaim' is not defined"),
        ({"type": "ForgedAttestation"}, "'ForgedAttestation' is not defined"),
        ({"assessedProduct": {"product": "Rice", "unsignedNote": "x"}}, "'unsignedNote' is not defined"),
        ({"id": "relative/path"}, "relative reference"),
    ],
)
def test_what_a_signature_would_not_cover_is_refused(subject, complaint):
    """Safe mode: JSON-LD drops an undefined term (or a node with a relative id) from the RDF, so
    the signature would not cover what a page shows; it is refused instead."""
    with pytest.raises(CanonicalisationError, match=complaint):
        canonicalise(credential_with(subject))


def test_undefined_terms_raise_the_safe_mode_error_either_way():
    document = credential_with({"extraClaim": "x"})
    with pytest.raises(UndefinedTerm):
        through_oxigraph(document)
    with pytest.raises(UndefinedTerm):
        through_pyld(document)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: d["@context"].append({"@language": "en"}), id="an inline context beyond term definitions"
        ),
        pytest.param(lambda d: d["@context"].append({"g": "@graph"}), id="an alias of a keyword beyond the plain ones"),
        pytest.param(
            lambda d: d["credentialSubject"].update({"@context": {"x": "https://example.org/x"}}), id="nested context"
        ),
        pytest.param(lambda d: d.update({"@included": []}), id="@included"),
        pytest.param(lambda d: d["credentialSubject"].update({"@foo": "ignored by JSON-LD"}), id="unknown keyword"),
        pytest.param(lambda d: d.update({"verifiableCredential": {"name": "x"}}), id="a term that resets the context"),
    ],
)
def test_what_pyoxigraph_cannot_be_trusted_with_goes_to_pyld(change, monkeypatch):
    document = credential_with({"type": "ProduceQualityAttestation"})
    change(document)
    monkeypatch.setattr(jsonld, "_canonicalise_with_oxigraph", lambda *args: pytest.fail("went to pyoxigraph"))
    try:
        canonicalise(document)
    except CanonicalisationError:
        pass  # PyLD's verdict either way; what matters is that PyLD gave it


def test_json_that_is_not_json_ld_is_refused_with_a_reason():
    with pytest.raises(CanonicalisationError, match="not JSON"):
        canonicalise({**credential_with({}), "name": float("nan")})
    with pytest.raises(CanonicalisationError, match="not valid JSON-LD"):
        canonicalise({**credential_with({}), "type": 5})  # a number where a type belongs


INJI_STYLE_INLINE_CONTEXTS = {
    "a term": {"extraClaim": "https://example.org/extra"},
    "a term typed @id": {"extraClaim": {"@id": "https://example.org/extra", "@type": "@id"}},
    "a prefix and a compact IRI": {"ex": "https://example.org/", "extraClaim": "ex:extra"},
    "a @vocab": {"@vocab": "https://example.org/vocab#"},
    "a list container and a scoped context": {
        "extraClaim": {
            "@id": "https://example.org/extra",
            "@container": "@list",
            "@context": {"n": "https://example.org/n"},
        }
    },
}


@pytest.mark.parametrize("context", INJI_STYLE_INLINE_CONTEXTS.values(), ids=INJI_STYLE_INLINE_CONTEXTS.keys())
def test_inline_contexts_of_term_definitions_go_to_pyoxigraph_and_read_as_pyld_reads_them(context):
    """Inji Certify's credentials carry small inline contexts ({"sec": …}, a type's alias): read by
    pyoxigraph, they cost no more than any other."""
    value = [{"n": 1}, "https://example.org/b"] if "@container" in str(context) else "https://example.org/a"
    document = credential_with({"type": "ProduceQualityAttestation", "extraClaim": value})
    document["@context"].append(context)

    assert through_oxigraph(document) == through_pyld(document)


def test_pyld_signed_form_reads_with_pyoxigraph_and_equals_what_pyld_wrote(monkeypatch):
    """Certificates signed before pyoxigraph were signed over PyLD's URDNA2015, which wrote control
    characters raw: they are checked that way too, but a control character must not send a
    stranger's document through PyLD's slower reading."""
    document = credential_with({"type": "ProduceQualityAttestation", "product": "Rice\x0c\x01 Basmati"})
    written_by_pyld = through_pyld(document)
    monkeypatch.setattr(jsonld, "_read_with_pyld", lambda document: pytest.fail("read by PyLD"))

    assert jsonld.canonicalise_with_pyld(document) == written_by_pyld
    assert "\x01" in written_by_pyld and "\\u0001" in canonicalise(document)  # RDFC-1.0 escapes it


def test_what_must_go_to_pyld_is_refused_beyond_its_bound(monkeypatch):
    """PyLD merges a node's values with a linear search: one node given 1,100 values is quadratic
    work, so what pyoxigraph cannot read is read only up to MAX_PYLD_VALUES."""
    same_node = [{"id": "https://example.org/p", "product": [f"v{i}-{j}" for j in range(100)]} for i in range(11)]
    document = credential_with({"@context": {"x": "https://example.org/x"}, "assessedProduct": same_node})
    monkeypatch.setattr(jsonld.jsonld.JsonLdProcessor, "to_rdf", lambda *args: pytest.fail("read by PyLD"))

    with pytest.raises(jsonld.UnboundedCanonicalisation, match="read only up to 500"):
        canonicalise(document)
