"""Blank nodes that would make canonicalisation unbounded work are refused, and cheaply: named ones
(by any route JSON-LD reads a node reference) before anything is parsed, and shapes that need no
name — shared, cyclic, or look-alike objects linked to look-alikes — on the quads, before RDFC.

RDFC-1.0 is factorial in blank nodes that look alike: six objects each listing the same six blank
nodes under an `@type: @id` term took 25 s, eight look-alike objects of eight look-alikes 3.7 s.
No timing is asserted: the tests assert that canonicalisation is never reached.
"""

from __future__ import annotations

import pyoxigraph
import pytest
from pyld.canon import URDNA2015

from credentials import jsonld
from credentials.blank_nodes import BlankNodeShapeError, check_blank_nodes
from credentials.jsonld import UnboundedCanonicalisation, canonicalise, canonicalise_with_pyld
from credentials.limits import UnreadableCredential, check_document
from tests.engine.conftest import PRODUCE_CONTEXT

MEASURE = {"@id": "https://vocab.test/produce#measure", "@type": "@id"}  # an @type: @id term of our own
TYPED_REFERENCES = {"@context": {"measure": MEASURE}}


def credential(subject: dict, *more_contexts) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", PRODUCE_CONTEXT, *more_contexts],
        "id": "urn:uuid:0f0e3f4c-9a7e-4c8c-8d77-5b8a4a4b4b4b",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": subject,
    }


@pytest.fixture
def canonicalisations(monkeypatch) -> list:
    """Every RDFC run, by either canonicaliser: the tests below assert it stays empty."""
    runs: list = []
    original_rdfc, original_urdna = jsonld.canonical_nquads, URDNA2015.main

    def rdfc(*args, **kwargs):
        runs.append("pyoxigraph")
        return original_rdfc(*args, **kwargs)

    def urdna(self, *args, **kwargs):
        runs.append("PyLD")
        return original_urdna(self, *args, **kwargs)

    monkeypatch.setattr(jsonld, "canonical_nquads", rdfc)
    monkeypatch.setattr(URDNA2015, "main", urdna)
    return runs


# --- named blank nodes: refused before anything is read ------------------------------------------

NAMED = {
    "as @id": {"assessedProduct": [{"@id": "_:b0"}, {"id": "_:b0"}]},
    "under an @type: @id term (the issue's attack)": {
        "assessedProduct": [{"product": "x", "assessedProduct": [f"_:b{j}" for j in range(6)]} for _ in range(6)]
    },
    "as a type": {"type": ["ProduceQualityAttestation", "_:b0"]},
    "as a property": {"_:b0": "x"},
    "deep inside": {"assessedProduct": {"assessedProduct": {"assessedProduct": {"assessedProduct": "_:b1"}}}},
}


@pytest.mark.parametrize("subject", NAMED.values(), ids=NAMED.keys())
def test_a_blank_node_named_anywhere_in_a_credential_is_refused_unread(subject, canonicalisations):
    with pytest.raises(UnreadableCredential, match="names a blank node"):
        check_document(credential(subject))
    assert canonicalisations == []


@pytest.mark.parametrize(
    "context",
    [
        {"@vocab": "_:"},  # every undefined term and type becomes a blank node
        {"ours": "_:b0"},  # a term that names one
        {"ours": {"@id": "_:b0", "@type": "@id"}},
    ],
    ids=["@vocab", "a term", "a term's @id"],
)
def test_an_inline_context_that_maps_terms_to_blank_nodes_is_refused(context):
    with pytest.raises(UnreadableCredential, match="names a blank node"):
        check_document(credential({"ours": "x"}, context))


def test_text_that_starts_like_a_blank_node_is_read_as_an_explicit_value():
    check_document(credential({"product": {"@value": "_:not a node"}}))  # raises if refused


# --- shapes that need no name: refused on the quads, before RDFC --------------------------------


def test_a_credential_we_issue_is_a_tree_of_blank_nodes_with_next_to_no_labelling_work():
    document = credential(
        {
            "type": "ProduceQualityAttestation",
            "assessedProduct": [{"product": "Rice", "assessedProduct": {"product": "bag"}}, {"product": "Tea"}],
        }
    )
    quads = jsonld._parse(jsonld.pyoxigraph_contexts(document), jsonld._body(document))

    assert check_blank_nodes(_strings(quads)) < 100


def test_look_alike_objects_nested_in_look_alikes_are_refused_before_canonicalisation(canonicalisations):
    """Eight equal objects, each holding eight equal objects: a tree, and 3.7 s of RDFC."""
    nested = [{"product": "bag", "assessedProduct": [{"product": "grain"} for _ in range(8)]} for _ in range(8)]

    with pytest.raises(UnboundedCanonicalisation, match="look alike"):
        canonicalise(credential({"assessedProduct": nested}))
    with pytest.raises(UnboundedCanonicalisation, match="look alike"):
        canonicalise_with_pyld(credential({"assessedProduct": nested}))
    assert canonicalisations == []


def test_a_long_list_of_objects_is_refused_before_canonicalisation(canonicalisations):
    """An @list's nodes look alike when its items are objects: each is walked from every other,
    cubic work (200 items: 0.6 s in pyoxigraph, 14 s in PyLD)."""
    items = {"@list": [{"product": f"item {n}"} for n in range(200)]}

    with pytest.raises(UnboundedCanonicalisation, match="198 of its objects"):
        canonicalise(credential({"assessedProduct": items}))
    assert canonicalisations == []


def test_small_repeats_that_real_credentials_have_are_canonicalised():
    three_metrics = {"@list": [{"product": "moisture"}, {"product": "residue"}, {"product": "moisture"}]}
    same_leaves = [{"product": "bag"} for _ in range(50)]  # look-alikes under a parent with its own look

    assert canonicalise(credential({"assessedProduct": [three_metrics, *same_leaves]}))


def test_an_object_shared_by_two_statements_is_refused_even_without_a_name(canonicalisations):
    """@reverse makes the nested object the subject: it is then the value of two statements."""
    shared = {
        "product": "x",
        "@reverse": {"https://vocab.test/produce#contains": {"product": "box"}},
    }
    with pytest.raises(UnboundedCanonicalisation, match="value of two statements"):
        canonicalise(credential({"assessedProduct": shared}))
    assert canonicalisations == []


def quads(nquads: str) -> list:
    return _strings(pyoxigraph.parse(nquads.encode(), pyoxigraph.RdfFormat.N_QUADS))


def _strings(parsed) -> list:
    return [(str(q.subject), str(q.predicate), str(q.object), jsonld._graph(q.graph_name)) for q in parsed]


P = "<https://vocab.test/p>"


@pytest.mark.parametrize(
    "nquads, complaint",
    [
        (f"_:a {P} _:b .\n_:b {P} _:a .\n", "cycle"),
        (f"_:a {P} _:a .\n", "value of two statements|cycle"),
        (f"_:a {P} _:b .\n_:b {P} _:c .\n_:c {P} _:a .\n", "cycle"),
        (f"_:a {P} _:c .\n_:b {P} _:c .\n", "value of two statements"),
        (f"<https://x.test/a> {P} _:c .\n<https://x.test/b> {P} _:c .\n", "value of two statements"),
        (f"_:a {P} _:b _:g .\n", "graph named by a blank node"),
    ],
    ids=["two-cycle", "self-loop", "three-cycle", "shared by blank nodes", "shared by named nodes", "blank graph"],
)
def test_blank_nodes_that_do_not_form_a_tree_are_refused(nquads, complaint):
    with pytest.raises(BlankNodeShapeError, match=complaint):
        check_blank_nodes(quads(nquads))


def test_the_poison_clique_of_the_w3c_suite_is_refused():
    """rdf-canon's test074: ten blank nodes each linked to every other, the graph RDFC-1.0 says a
    conforming implementation must refuse for its cost."""
    from tests.shared_vectors import W3C

    text = (W3C / "rdf-canon" / "test074-in.nq").read_text(encoding="utf-8")
    with pytest.raises(BlankNodeShapeError):
        check_blank_nodes(quads(text))


def test_look_alikes_are_costly_only_where_they_are_linked_to_look_alikes():
    star = "".join(f"_:root {P} _:leaf{n} .\n" for n in range(6))
    twin = "".join(f"_:twin {P} _:twin_leaf{n} .\n" for n in range(6))

    assert check_blank_nodes(quads(star)) <= 6  # a unique root labels its six leaves in one pass
    with pytest.raises(BlankNodeShapeError, match="7 of its objects"):
        check_blank_nodes(quads(star + twin))  # two alike roots: 6! orders of leaves, from each of 7 nodes
