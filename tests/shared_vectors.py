"""Test data other implementations are tested with. It is not ours to copy, so it stays outside the
repository: in ../shared/vectors beside the clone (as CI and every developer machine lay it out),
or wherever AGRIQCERT_SHARED_VECTORS points."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_VECTORS = Path(
    os.environ.get("AGRIQCERT_SHARED_VECTORS") or Path(__file__).resolve().parents[2] / "shared" / "vectors"
)
if not SHARED_VECTORS.is_dir():
    raise RuntimeError(f"The shared test vectors are missing: expected them in {SHARED_VECTORS}")

W3C = SHARED_VECTORS / "w3c"
MOSIP = SHARED_VECTORS / "mosip-vc-verifier"
