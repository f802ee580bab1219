"""Prometheus metrics, in a registry per app: GraphQL requests and latency by operation,
the process and the garbage collector, store commands by command, the import queue, and
when each background job last succeeded.

Label values that clients choose are bounded: operation names count only for requests whose
key was valid, and at most MAX_OPERATION_NAMES of them (then "other").
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pymongo
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from seg_graphql.web.access_log import AccessRecord

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_NAMES = 200  # client-chosen names must not grow the series without bound
_PROBE_SECONDS = 1.0
MAX_COMMAND_NAMES = 64  # the driver's command names are a small fixed set; this is a backstop

# Queue depth and the age of its oldest waiting job, read from the store at scrape time.
QueueProbe = Callable[[], Awaitable[tuple[int, float | None]]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "seg_graphql_requests",
            "GraphQL requests by operation and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "seg_graphql_request_seconds",
            "GraphQL request latency by operation",
            ["operation"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.store_latency = Histogram(
            "seg_graphql_store_command_seconds",
            "Store (MongoDB) command latency by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.import_queue_depth = Gauge(
            "seg_graphql_import_queue_depth",
            "Import jobs waiting for a worker (all tenants)",
            registry=self.registry,
        )
        self.import_queue_oldest = Gauge(
            "seg_graphql_import_queue_oldest_age_seconds",
            "Age of the oldest import job waiting for a worker (0 when none waits)",
            registry=self.registry,
        )
        self.job_success = Gauge(
            "seg_graphql_job_last_success_timestamp_seconds",
            "Unix time at which each background job last finished a cycle without error",
            ["job"],
            registry=self.registry,
        )
        self.queue_probe: QueueProbe | None = None
        self._names: set[str] = set()
        # (operation, outcome) -> its request counter and latency histogram; bounded as the
        # labels are (operation names above, outcomes by the fixed set of error codes)
        self._series: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._commands: set[str] = set()

    def operation_label(self, record: AccessRecord) -> str:
        name = record.operation
        # A request without a valid key gets no series of its own, whatever it calls itself.
        if record.tenant is None or name is None or not _NAME.match(name):
            return "anonymous"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name

    def observe(self, record: AccessRecord, seconds: float) -> None:
        operation = self.operation_label(record)
        outcome = record.codes[0].lower() if record.codes else "ok"
        series = self._series.get((operation, outcome))
        if series is None:  # labels() validates and locks on every call: once per pair here
            series = self._series[operation, outcome] = (
                self.requests.labels(operation, outcome),
                self.latency.labels(operation),
            )
        series[0].inc()
        series[1].observe(seconds)

    def store_command(self, name: str, seconds: float, ok: bool) -> None:
        if name not in self._commands:
            if len(self._commands) >= MAX_COMMAND_NAMES:
                name = "other"
            else:
                self._commands.add(name)
        self.store_latency.labels(name, "ok" if ok else "failed").observe(seconds)

    def job_succeeded(self, job: str) -> None:
        self.job_success.labels(job).set(time.time())

    async def endpoint(self, _request: Request) -> Response:
        if self.queue_probe is not None:
            try:
                with pymongo.timeout(_PROBE_SECONDS):
                    depth, oldest = await self.queue_probe()
            except Exception:  # an unreachable store must not hide the other metrics
                depth, oldest = -1, None
            self.import_queue_depth.set(depth)
            self.import_queue_oldest.set(oldest or 0.0)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
