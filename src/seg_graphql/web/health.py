"""Liveness (the process answers) and readiness (the store answers a ping)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    store = request.app.state.store
    if await store.ping():
        return JSONResponse(
            {"status": "ready", "store": "embedded" if store.embedded else "mongodb"}
        )
    return JSONResponse(
        {"status": "unavailable", "store": "unreachable"},
        status_code=503,
        headers={"Retry-After": "5"},
    )
