"""JSON-LD processing with bundled contexts only: canonicalisation never touches the network.

The W3C contexts come with PyLD; an application bundles its own (`bundle_contexts`) under their
public URLs, so credentials verify offline.

Canonicalisation (RDFC-1.0) runs in Rust through pyoxigraph for every document whose contexts are
bundled URLs and whose body uses only the plain JSON-LD keywords — every credential, proof and
status list this project issues, and those Inji Certify issues. PyLD serves the rest: inline or
nested contexts, and keywords such as @graph, @reverse, @included or @nest. Both refuse a term no
context defines (safe mode). Equality is tested on the W3C RDFC-1.0 vectors and on every shape
issued (tests/test_canonicalisation.py).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph
from pyld import BUNDLED_CONTEXTS, FrozenDocumentLoader, jsonld
from pyld.canon import URDNA2015

from credentials.blank_nodes import BlankNodeShapeError, Quad, check_blank_nodes

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


class CanonicalisationError(ValueError):
    """The document is not JSON-LD that can be canonicalised with the bundled contexts."""


def _no_more_contexts() -> Mapping[str, Path]:
    return {}


# Contexts bundled besides the W3C ones, by URL: an application names its own vocabulary here
# (`bundle_contexts`), as a function so that it may follow settings that change.
_more_contexts: Callable[[], Mapping[str, Path]] = _no_more_contexts


def bundle_contexts(contexts: Callable[[], Mapping[str, Path]]) -> Callable[[], Mapping[str, Path]]:
    """Have every canonicalisation read these contexts (url -> JSON-LD file) from disk, never the
    network; returns the provider it replaces."""
    global _more_contexts
    previous, _more_contexts = _more_contexts, contexts
    return previous


def more_contexts() -> dict[str, Path]:
    """The contexts bundled with `bundle_contexts`, as they are now (for another process to bundle)."""
    return dict(_more_contexts())


@cache
def read_context(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _loader(more: tuple[tuple[str, Path], ...]) -> FrozenDocumentLoader:
    documents: dict[str, Any] = dict(BUNDLED_CONTEXTS)
    documents[EXAMPLES_V2] = CONTEXTS_DIR / "credentials-examples-v2.jsonld"
    documents.update(more)
    return FrozenDocumentLoader(documents=documents)


def document_loader() -> FrozenDocumentLoader:
    """The W3C contexts and those bundled with `bundle_contexts`."""
    return _loader(tuple(sorted(_more_contexts().items())))


class UndefinedTerm(CanonicalisationError):
    """Safe mode: a property or type no context defines would be dropped, and so not signed."""


class UnboundedCanonicalisation(CanonicalisationError):
    """The document's shape would make canonicalising it cost more than any credential needs."""


# --- pyoxigraph (Rust): the common case ------------------------------------------------------

# pyoxigraph drops what JSON-LD drops, silently. So that nothing is dropped unnoticed, the
# document is read with a vocabulary and a base of our own: an undefined term comes out under the
# first, a relative reference under the second, and either is refused. A context later in the list
# that sets its own @vocab wins, as it should.
UNDEFINED = "urn:agriqcert:undefined-term#"
RELATIVE = "https://relative-reference.invalid/"
_FOUND_UNDEFINED = re.compile(r"<urn:agriqcert:undefined-term#([^>]*)>")
_FOUND_RELATIVE = re.compile(r"<https://relative-reference\.invalid/([^>]*)>")
PLAIN_KEYWORDS = frozenset({"@id", "@type", "@value", "@language", "@list", "@set"})


def canonicalise(document: dict) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) as N-Quads, in safe mode: a term
    no context defines is refused, never silently dropped (jsonld-signatures does the same)."""
    contexts = pyoxigraph_contexts(document)
    if contexts is None:
        return canonicalise_with_pyld(document)
    return _canonicalise_with_oxigraph(document, contexts)


def pyoxigraph_contexts(document: dict) -> str | None:
    """The contexts to give pyoxigraph with this document, or None when it goes to PyLD."""
    contexts = _contexts_of(document)
    used = None if contexts is None else _terms_used(document, contexts)
    return None if used is None else _context_text(contexts, used)


@dataclass(frozen=True, eq=False)  # hashed by identity: _load_contexts makes one per list
class _Contexts:
    """A list of bundled contexts as pyoxigraph gets them (see _context_text)."""

    definitions: tuple[Any, ...]  # each context's @context value, in order
    resetting_terms: frozenset[str]  # terms whose scoped context would undo our vocabulary
    prunable_terms: frozenset[str]  # top-level terms defined once in the list


def _contexts_of(document: dict) -> _Contexts | None:
    """None unless the document's contexts are bundled URLs, or inline ones of plain term definitions
    (as Inji Certify's credentials carry), that pyoxigraph can be trusted with."""
    value = document.get("@context")
    items = value if isinstance(value, list) else [value]
    if not items:
        return None
    keys: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, str):
            keys.append(("url", item))
        elif _plain_context(item):
            keys.append(("inline", json.dumps(item, sort_keys=True)))
        else:
            return None
    return _load_contexts(document_loader(), tuple(keys))


_PLAIN_CONTEXT_KEYWORDS = frozenset({"@version", "@protected", "@vocab"})
_PLAIN_DEFINITION_KEYS = frozenset({"@id", "@type", "@container", "@context", "@protected"})


def _plain_context(context: Any) -> bool:
    """Term definitions that pyoxigraph reads as PyLD does: IRIs, @id/@vocab or datatype coercion,
    @list/@set containers, scoped contexts of the same kind; nothing of @language, @direction,
    @reverse, @index, @nest, @json or the other containers."""
    if not isinstance(context, dict) or context.get("@version", 1.1) != 1.1:
        return False
    vocabulary = context.get("@vocab", "https:")
    if not isinstance(vocabulary, str) or ":" not in vocabulary:
        return False
    return all(
        term in _PLAIN_CONTEXT_KEYWORDS if term.startswith("@") else _plain_definition(definition)
        for term, definition in context.items()
    )


def _plain_definition(definition: Any) -> bool:
    if isinstance(definition, dict):
        return (
            definition.keys() <= _PLAIN_DEFINITION_KEYS
            and _plain_definition(definition.get("@id"))
            and definition.get("@type") not in ("@json", "@none")
            and definition.get("@container", "@set") in ("@set", "@list")
            and all(_plain_context(scoped) for scoped in _as_list(definition.get("@context", {})))
        )
    # a keyword alias would hide @graph, @reverse, @nest… from _terms_used
    return (
        definition is None
        or isinstance(definition, str)
        and (not definition.startswith("@") or definition in PLAIN_KEYWORDS)
    )


@lru_cache(maxsize=64)
def _load_contexts(loader: FrozenDocumentLoader, keys: tuple[tuple[str, str], ...]) -> _Contexts | None:
    definitions: list[Any] = []
    resetting: set[str] = set()
    defined: Counter[str] = Counter()
    for kind, text in keys:
        try:
            context = json.loads(text) if kind == "inline" else loader(text, {})["document"]["@context"]
        except jsonld.JsonLdError:  # not bundled: PyLD says so
            return None
        if any(_undoes_vocabulary(item) for item in _as_list(context)):
            return None
        _find_resetting_terms(context, resetting)
        defined.update(term for item in _as_list(context) for term in item if not term.startswith("@"))
        definitions.append(context)
    prunable = frozenset(term for term, times in defined.items() if times == 1)
    return _Contexts(tuple(definitions), frozenset(resetting), prunable)


@lru_cache(maxsize=256)
def _context_text(contexts: _Contexts, used: frozenset[str]) -> str:
    """The contexts as one JSON array, our vocabulary first, without the top-level terms that
    nothing uses: reading a context is most of pyoxigraph's work, and a term that neither the
    document nor a kept definition mentions (as a term or as a compact IRI's prefix) cannot change
    what the document means. A term defined twice is always kept (a protected one may not be
    redefined, and JSON-LD must still say so)."""
    kept = set(used & contexts.prunable_terms)
    pending = list(kept) + [
        term
        for item in contexts.definitions
        for definitions in _as_list(item)
        for term in definitions
        if term not in contexts.prunable_terms
    ]
    by_term = {
        term: value
        for item in contexts.definitions
        for definitions in _as_list(item)
        for term, value in definitions.items()
    }
    while pending:
        for mentioned in _strings(by_term[pending.pop()]) & contexts.prunable_terms - kept:
            kept.add(mentioned)
            pending.append(mentioned)
    pruned = [
        [
            {term: value for term, value in definitions.items() if term not in contexts.prunable_terms or term in kept}
            for definitions in _as_list(item)
        ]
        for item in contexts.definitions
    ]
    return json.dumps([{"@vocab": UNDEFINED}, *(item for group in pruned for item in group)])


def _strings(value: Any) -> set[str]:
    """Every string in a value (keys too), with prefixes."""
    found: set[str] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            _add_with_prefix(found, item)
    return found


def _add_with_prefix(found: set[str], text: str) -> None:
    """The string, and what could be a compact IRI's prefix in it."""
    found.add(text)
    if ":" in text:
        found.add(text.split(":", 1)[0])


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _undoes_vocabulary(context: Any) -> bool:
    """A null context or @vocab, or a blank-node @vocab, would drop terms unnoticed; @import and
    @base would need what pyoxigraph is not given."""
    if not isinstance(context, dict):
        return True
    vocabulary = context.get("@vocab", "")
    return "@import" in context or "@base" in context or vocabulary is None or str(vocabulary).startswith("_:")


def _find_resetting_terms(context: Any, found: set[str]) -> None:
    """Terms defined as null (ignored by JSON-LD), or whose scoped context undoes our vocabulary,
    at any depth of scoped contexts."""
    for definitions in _as_list(context):
        if not isinstance(definitions, dict):
            continue
        for term, definition in definitions.items():
            if definition is None:
                found.add(term)
            elif isinstance(definition, dict) and "@context" in definition:
                if any(_undoes_vocabulary(scoped) for scoped in _as_list(definition["@context"])):
                    found.add(term)
                _find_resetting_terms(definition["@context"], found)


def _terms_used(document: dict, contexts: _Contexts) -> frozenset[str] | None:
    """The prunable terms the document mentions; None when pyoxigraph cannot be trusted with its
    body: below the top-level @context, a context, a keyword beyond the plain ones, a term whose
    scoped context would undo our vocabulary, or a number pyoxigraph writes differently."""
    used: set[str] = set()
    pending: list[Any] = [{k: v for k, v in document.items() if k != "@context"}]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("@") and key not in PLAIN_KEYWORDS or key in contexts.resetting_terms:
                    return None
                used.add(key)
                pending.append(item)
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            _add_with_prefix(used, value)
        elif isinstance(value, float) and math.isfinite(value) and Decimal(f"{value:.15e}") != Decimal(repr(value)):
            return None
    return frozenset(used & contexts.prunable_terms)


# JSON-LD writes an xsd:double from its value rounded to 16 significant digits (JavaScript's
# toExponential(15)); pyoxigraph from the shortest digits that read back as the same double. They
# agree unless those differ: 0.30000000000000004 (17 digits) or 5e-324 (subnormal) go to PyLD.


def _canonicalise_with_oxigraph(document: dict, contexts: str) -> str:
    quads = _parse(contexts, _body(document))
    return _checked(_bounded_canonical_nquads(quads))


def canonicalise_proof_and_document(options: dict, document: dict) -> tuple[str, str]:
    """The two canonicalisations a Data Integrity proof signs, of its options and of the document
    (which name the same contexts). One parse reads both when pyoxigraph serves them: the options
    as one node of a @graph beside the document, under an @id of ours that becomes a blank node again
    before canonicalisation — as if read alone (tested). The contexts, the costly part, are read once."""
    contexts = _contexts_of(document)
    used = None if contexts is None else _terms_used(document, contexts)
    used_by_options = None if contexts is None else _terms_used(options, contexts)
    if (
        contexts is None
        or used is None
        or used_by_options is None
        or options.get("@context") != document.get("@context")
        or "@graph" in document
        or any(key in ("@id", "id") or "_:" in json.dumps(value) for key, value in options.items())
    ):
        return canonicalise(options), canonicalise(document)
    options_body, document_body = _body({**options, "@id": PROOF_OPTIONS}), _body(document)
    if PROOF_OPTIONS in document_body:
        return canonicalise(options), canonicalise(document)
    both = _parse(
        _context_text(contexts, used | used_by_options), '{"@graph":[' + options_body + "," + document_body + "]}"
    )
    options_quads: list[pyoxigraph.Quad] = []
    document_quads: list[pyoxigraph.Quad] = []
    node = pyoxigraph.BlankNode()
    for quad in both:
        if quad.subject == _PROOF_OPTIONS_NODE:
            options_quads.append(pyoxigraph.Quad(node, quad.predicate, quad.object, quad.graph_name))
        else:
            document_quads.append(quad)
    return _checked(_bounded_canonical_nquads(options_quads)), _checked(_bounded_canonical_nquads(document_quads))


PROOF_OPTIONS = "urn:agriqcert:proof-options"
_PROOF_OPTIONS_NODE = pyoxigraph.NamedNode(PROOF_OPTIONS)


def _body(document: dict) -> str:
    """The document without its @context, as JSON text."""
    try:
        return json.dumps({k: v for k, v in document.items() if k != "@context"}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CanonicalisationError(f"not JSON: {exc}") from None


def _parse(contexts: str, body: str) -> list[pyoxigraph.Quad]:
    text = '{"@context":' + contexts + ("," + body[1:] if body != "{}" else "}")
    try:
        return list(pyoxigraph.parse(text.encode(), pyoxigraph.RdfFormat.JSON_LD, base_iri=RELATIVE))
    except SyntaxError as exc:
        raise CanonicalisationError(f"not valid JSON-LD: {str(exc)[:200]}") from None


def _checked(nquads: str) -> str:
    """Refuses what came out under our vocabulary or base: what JSON-LD would have dropped."""
    if UNDEFINED[:-1] in nquads and (found := _FOUND_UNDEFINED.search(nquads)):
        _refuse_undefined(found.group(1))
    if RELATIVE in nquads and (found := _FOUND_RELATIVE.search(nquads)):
        raise CanonicalisationError(
            f"it refers to {found.group(1)!r}, a relative reference with no base; identifiers must be absolute"
        )
    return nquads


def _bounded_canonical_nquads(quads: list[pyoxigraph.Quad]) -> str:
    _check_blank_nodes((str(q.subject), str(q.predicate), str(q.object), _graph(q.graph_name)) for q in quads)
    return canonical_nquads(quads)


def _graph(name: Any) -> str | None:
    return None if isinstance(name, pyoxigraph.DefaultGraph) else str(name)


def _check_blank_nodes(quads: Iterable[Quad]) -> None:
    """Before RDFC, whose cost is factorial in blank nodes that look alike (credentials/blank_nodes.py)."""
    try:
        check_blank_nodes(quads)
    except BlankNodeShapeError as exc:
        raise UnboundedCanonicalisation(f"not canonicalised: {exc}") from None


def canonical_nquads(quads: Any, algorithm: Any = pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0) -> str:
    """RDFC-1.0 of a dataset: canonical blank-node labels, then the lines in code point order."""
    dataset = pyoxigraph.Dataset(quads)
    dataset.canonicalize(algorithm)
    lines = pyoxigraph.serialize(dataset, format=pyoxigraph.RdfFormat.N_QUADS).decode().split("\n")
    return "".join(line + "\n" for line in sorted(lines) if line)


# --- PyLD: nested contexts, the less common keywords, and what PyLD once signed ---------------

# PyLD merges the values of one node's property with a linear search for duplicates: a node named
# by the same id N times costs N² (4,000 values took 10 s; 500 take 0.1 s). What must go to it is
# kept to what credentials have: ours ~70 values, Inji Certify's (whose contexts import others) ~70.
MAX_PYLD_VALUES = 500


def _refuse_undefined(term: str | None) -> None:
    raise UndefinedTerm(
        f"the term {term!r} is not defined by the credential's contexts, so a signature could not cover it"
    )


def canonicalise_with_pyld(document: dict) -> str:
    """URDNA2015 as PyLD writes it (control characters raw, not escaped as RDFC-1.0 says): for what
    pyoxigraph cannot read, and for certificates PyLD signed before pyoxigraph did. The JSON-LD is
    read by pyoxigraph wherever it can be (the same quads: tests/engine/test_canonicalisation.py),
    so that a control character in a stranger's document costs no more than any other."""
    contexts = pyoxigraph_contexts(document)
    if contexts is None:
        dataset = _read_with_pyld(document)
    else:
        dataset = _pyld_dataset(_parse(contexts, _body(document)))
    _check_blank_nodes(_quads_of_pyld(dataset))
    try:
        return _checked(URDNA2015().main(dataset, {"format": "application/n-quads"}))
    except jsonld.JsonLdError as exc:
        raise CanonicalisationError(_describe(exc)) from None


def _read_with_pyld(document: dict) -> dict:
    """The RDF dataset PyLD reads, in its own form; within MAX_PYLD_VALUES."""
    values = _count_values(document)
    if values > MAX_PYLD_VALUES:
        raise UnboundedCanonicalisation(
            f"not canonicalised: it has {values} values, and what pyoxigraph cannot read (nested contexts, "
            f"@graph, @reverse…) is read only up to {MAX_PYLD_VALUES}"
        )
    processor = jsonld.JsonLdProcessor(on_property_dropped=_refuse_undefined)
    try:
        return processor.to_rdf(document, {"documentLoader": document_loader()})
    except jsonld.JsonLdError as exc:
        raise CanonicalisationError(_describe(exc)) from None


def _count_values(document: Any) -> int:
    count, pending = 0, [document]
    while pending:
        value = pending.pop()
        count += 1
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def _pyld_dataset(quads: list[pyoxigraph.Quad]) -> dict:
    """pyoxigraph's quads in PyLD's form of a dataset (graph name -> triples)."""
    dataset: dict[str, list[dict]] = {}
    for quad in quads:
        graph = (
            "@default" if isinstance(quad.graph_name, pyoxigraph.DefaultGraph) else _pyld_term(quad.graph_name)["value"]
        )
        dataset.setdefault(graph, []).append(
            {
                "subject": _pyld_term(quad.subject),
                "predicate": _pyld_term(quad.predicate),
                "object": _pyld_term(quad.object),
            }
        )
    return dataset


def _pyld_term(term: Any) -> dict:
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "blank node", "value": "_:" + term.value}
    if isinstance(term, pyoxigraph.Literal):
        literal = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
        return {**literal, "language": term.language} if term.language else literal
    return {"type": "IRI", "value": term.value}


def _quads_of_pyld(dataset: dict) -> Iterator[Quad]:
    for graph, triples in dataset.items():
        name = None if graph == "@default" else graph if graph.startswith("_:") else f"<{graph}>"
        for triple in triples:
            yield (*(_term_text(triple[part]) for part in ("subject", "predicate", "object")), name)


def _term_text(term: dict) -> str:
    """A PyLD term as N-Quads would write it, near enough to tell terms apart."""
    if term["type"] == "blank node":
        return term["value"]
    if term["type"] == "IRI":
        return f"<{term['value']}>"
    return json.dumps([term["value"], term.get("datatype"), term.get("language")])


def _describe(exc: jsonld.JsonLdError) -> str:
    error: BaseException | None = exc
    while error is not None:  # PyLD wraps the loader's error in others
        details = getattr(error, "details", None)
        if isinstance(details, dict) and details.get("url"):
            return (
                f"the context {details['url']} is not one this verifier knows (it works offline with bundled contexts)"
            )
        error = error.__cause__ or error.__context__
    return f"not valid JSON-LD: {exc.code or exc.type}"
