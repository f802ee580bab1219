"""One structured line per GraphQL request: who (request id, tenant), what (operation name),
how it went (status, duration, error codes). Never the key, the variables or data bags."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

log = logging.getLogger("seg_graphql.access")

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
        if not log.isEnabledFor(logging.INFO):
            return
        # Logger.info would first walk the stack for the caller (the record's file and line,
        # which no format of ours shows): the caller is known, this method.
        record = log.makeRecord(
            log.name,
            logging.INFO,
            __file__,
            _LINE,
            "%s %s %s %s",
            (self.method, self.status, self.operation or "-", ",".join(self.codes) or "-"),
            None,
            func="write",
            extra={
                "request_id": self.request_id,
                "tenant": self.tenant,
                "operation": self.operation,
                "method": self.method,
                "status": self.status,
                "duration_ms": round(seconds * 1000, 2),
                "error_codes": self.codes,
            },
        )
        log.handle(record)


_LINE = AccessRecord.write.__code__.co_firstlineno
