"""One structured line per GraphQL request: who (request id, tenant), what (operation name),
how it went (status, duration, error codes). Never the key, the variables or data bags."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from seg_graphql.logs import access_logger

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class AccessRecord:
    request_id: str
    method: str
    tenant: str | None = None
    operation: str | None = None
    status: int = 0
    codes: list[str] = field(default_factory=list)

    def name_operation(self, name: object) -> None:
        """Client-chosen text: only a GraphQL name of sane length is logged."""
        self.operation = name if isinstance(name, str) and _NAME.match(name) else None

    def write(self, seconds: float) -> None:
        log = access_logger()
        if not log.is_enabled_for(logging.INFO):  # before the line's fields are built
            return
        codes = self.codes
        log.info(
            f"{self.method} {self.status} {self.operation or '-'} {','.join(codes) or '-'}",
            request_id=self.request_id,
            tenant=self.tenant,
            operation=self.operation,
            method=self.method,
            status=self.status,
            duration_ms=round(seconds * 1000, 2),
            error_codes=codes,
        )
