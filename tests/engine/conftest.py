"""The engine's tests use the engine alone: a small context of their own, no documents, no domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from credentials import jsonld

PRODUCE_CONTEXT = "https://vocab.test/produce/v1"


@pytest.fixture(autouse=True)
def produce_context():
    """A vocabulary for test credentials, bundled as an application bundles its own."""
    previous = jsonld.bundle_contexts(
        lambda: {**previous(), PRODUCE_CONTEXT: Path(__file__).parent / "produce-v1.jsonld"}
    )
    yield PRODUCE_CONTEXT
    jsonld.bundle_contexts(previous)
