"""runImport with a GraphQL multipart upload: preflight header, size bounds, malformed forms."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import orjson

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from tests.api.helpers import create_segment
from tests.api.import_helpers import RUN_IMPORT, wait_for

PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def operations(format_="NDJSON"):
    return orjson.dumps(
        {
            "query": RUN_IMPORT,
            "variables": {
                "input": {
                    "documentType": "USER_SEGMENT",
                    "format": format_,
                    "name": "upload",
                    "file": None,
                }
            },
        }
    ).decode()


def form(content: bytes, *, map_=None, ops=None):
    data = {
        "operations": ops or operations(),
        "map": orjson.dumps(map_ or {"0": ["variables.input.file"]}).decode(),
    }
    return {"data": data, "files": {"0": ("segments.ndjson", content, "application/x-ndjson")}}


async def test_a_file_upload_runs_an_import(admin, http):
    segment = await create_segment(admin, name="VIP", type="STATIC")
    lines = [
        {
            "operation": "UPDATE",
            "segment_id": segment,
            "email_hash": f"h{i}",
            "expiration_duration": 0,
        }
        for i in range(300)
    ]
    content = b"\n".join(orjson.dumps(line) for line in lines)
    response = await http.post(
        "/graphql", headers={**PREFLIGHT, "Authorization": f"Bearer {admin.key}"}, **form(content)
    )
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["runImport"]
    assert payload["userErrors"] == []
    assert payload["job"]["sizeBytes"] == len(content)
    job = await wait_for(admin, payload["job"]["id"])
    assert (job["status"], job["applied"]) == ("SUCCEEDED", 300)


async def test_multipart_needs_the_preflight_header(admin, http):
    response = await http.post(
        "/graphql", headers={"Authorization": f"Bearer {admin.key}"}, **form(b"{}")
    )
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.json()["errors"][0]["message"]


async def test_multipart_from_a_stranger_is_refused_before_reading(http):
    response = await http.post("/graphql", headers=PREFLIGHT, **form(b"{}"))
    assert response.status_code == 401


async def test_malformed_multipart_forms_are_bad_requests(admin, http):
    headers = {**PREFLIGHT, "Authorization": f"Bearer {admin.key}"}
    cases = [
        form(b"{}", map_={"0": ["variables.input.nothing.here"]}),
        form(b"{}", map_={"1": ["variables.input.file"]}),
        form(b"{}", ops="{not json"),
        form(b"{}", ops="[]"),
        {"data": {"map": "{}"}, "files": {"0": ("f", b"x")}},
        {"content": b"--wrong--", "headers": {"Content-Type": "multipart/form-data"}},
    ]
    for case in cases:
        case_headers = {**headers, **case.pop("headers", {})}
        response = await http.post("/graphql", headers=case_headers, **case)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@asynccontextmanager
async def small_app(store, limit):
    application = create_app(Settings(import_max_bytes=limit), store=store)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_uploads_over_the_limit_are_refused(store, make_key):
    key = await make_key()
    headers = {**PREFLIGHT, "Authorization": f"Bearer {key}"}
    async with small_app(store, 10_000) as client:
        # declared too large (a 2 GB upload): refused before reading any of the body
        status = await declared_upload(client, headers, 2 * 1024**3)
        assert status == 413

        # sent in pieces without a length: counted as it arrives
        async def body():
            yield b'--x\r\nContent-Disposition: form-data; name="0"; filename="f"\r\n\r\n'
            for _ in range(200):
                yield b"x" * 1024

        response = await client.post(
            "/graphql",
            headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
            content=body(),
        )
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        # inline content over the limit is a user error; nothing is stored
        variables = {
            "input": {
                "documentType": "USER_SEGMENT",
                "format": "NDJSON",
                "name": "big",
                "content": "{}\n" * 5_000,
            }
        }
        response = await client.post(
            "/graphql", json={"query": RUN_IMPORT, "variables": variables}, headers=headers
        )
        (error,) = response.json()["data"]["runImport"]["userErrors"]
        assert error["code"] == "LIMIT_EXCEEDED"
    assert await store.db["import_chunks"].count_documents({}) == 0
    assert await store.db["imports"].count_documents({}) == 0


async def declared_upload(client, headers, length):
    """Calls the app directly: a client library would not send a length it does not send."""
    app = client._transport.app
    sent = []

    async def receive():
        raise AssertionError("the body must not be read")

    async def send(message):
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw += [
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"content-length", str(length).encode()),
    ]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": raw,
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    await app(scope, receive, send)
    return sent[0]["status"]
