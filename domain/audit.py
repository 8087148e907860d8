"""The audit log: who did what, when, in which partnership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded action."""

    at: datetime
    partnership_id: int | None
    actor_id: int | None
    action: str
    detail: dict[str, Any]
