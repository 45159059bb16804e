from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from certificates.models import IssuedVia


@dataclass(frozen=True)
class IssuedCredential:
    document: dict
    credential_id: str
    issuer_did: str
    valid_until: datetime | None
    via: IssuedVia
    status_list_id: str | None = None
    status_list_index: int | None = None

    @property
    def text(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, separators=(",", ":"))
