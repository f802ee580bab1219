"""GraphQL execution alone, in one process: Strawberry's generic `schema.execute` vs compiled
execution, for the HTTP benchmark's documents over the same in-memory data.

CPU time per execution (time.process_time, so other processes on a shared machine count
less), interleaved rounds, medians and the ratio. No HTTP, no JSON encoding. Nothing is
asserted.

    python bench/execution_bench.py [--rounds 5] [--query list full membership]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import time
from typing import Any

import http_bench
import orjson

from seg_graphql.domain.models import Principal, Role
from seg_graphql.execution import CompiledExecution
from seg_graphql.graphql.context import Context
from seg_graphql.graphql.schema import build_schema


class _Store:
    """Enough of a store for the services' constructors; every read is patched in memory."""

    db: Any = collections.defaultdict(lambda: None)
    capabilities = type("Capabilities", (), {"max_update_batch": 1000, "facet": False})()


async def _measure(name: str, rounds: int) -> None:
    schema = build_schema()
    compiled = CompiledExecution(schema)
    principal = Principal(tenant="bench", role=Role.ADMIN)
    query, variables = http_bench.QUERIES[name], http_bench.VARIABLES.get(name)

    def context() -> Context:
        return Context(store=_Store(), principal=principal, request_id="bench")  # type: ignore[arg-type]

    async def generic() -> Any:
        return await schema.execute(query, variables, context_value=context())

    async def planned() -> Any:
        return await compiled.execute(query, variable_values=variables, context_value=context())

    first = await generic()
    await planned()  # seen once: the document is planned
    assert not first.errors, first.errors
    assert orjson.dumps(first.data) == orjson.dumps((await planned()).data)
    assert compiled.stats["compiled"] == 1, compiled.stats
    count = {"list": 300, "full": 60, "membership": 300}[name]
    times: dict[str, list[float]] = {"generic": [], "compiled": []}
    for _ in range(rounds):
        for label, run in (("generic", generic), ("compiled", planned)):
            started = time.process_time()
            for _ in range(count):
                await run()
            times[label].append((time.process_time() - started) / count * 1000)
    medians = {label: statistics.median(values) for label, values in times.items()}
    print(
        f"{name:10s} generic {medians['generic']:6.3f} ms   compiled {medians['compiled']:6.3f} ms"
        f"   ratio {medians['generic'] / medians['compiled']:.2f}x   (CPU per execution)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--query", nargs="+", choices=list(http_bench.QUERIES), default=list(http_bench.QUERIES)
    )
    args = parser.parse_args()
    http_bench._patch_store()
    for name in args.query:
        asyncio.run(_measure(name, args.rounds))


if __name__ == "__main__":
    main()
