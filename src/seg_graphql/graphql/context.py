"""Per-request context: who is asking and the services bound to their tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from strawberry.types import Info as StrawberryInfo

from seg_graphql.domain.models import Principal
from seg_graphql.services.segments import SegmentService


@dataclass
class Context:
    db: Any
    principal: Principal
    request_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def segments(self) -> SegmentService:
        return SegmentService(self.db, self.principal)


Info = StrawberryInfo[Context, None]
