"""Submitting imports through the API and waiting for them to end."""

from __future__ import annotations

import asyncio

import orjson

JOB_FIELDS = """id name documentType format status sizeBytes total applied failed progress
createdAt startedAt finishedAt error { code message } errors { line code message }"""

RUN_IMPORT = f"""
mutation Run($input: RunImportInput!) {{
  runImport(input: $input) {{
    job {{ {JOB_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

IMPORT_JOB = f"""
query Job($id: ID!) {{ importJob(id: $id) {{ {JOB_FIELDS} }} }}"""

IMPORT_JOBS = """
query Jobs($first: Int, $after: String, $status: ImportStatus) {
  importJobs(first: $first, after: $after, status: $status) {
    totalCount
    edges { cursor node { id name status } }
    pageInfo { hasNextPage endCursor }
  }
}"""

FINISHED = {"SUCCEEDED", "PARTIAL", "FAILED"}


def ndjson(*lines) -> str:
    return "\n".join(
        line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines
    )


async def submit(client, content, *, type_="USER_SEGMENT", format_="NDJSON", name="test import"):
    variables = {
        "input": {"documentType": type_, "format": format_, "name": name, "content": content}
    }
    return (await client.data(RUN_IMPORT, variables))["runImport"]


async def wait_for(client, job_id, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = (await client.data(IMPORT_JOB, {"id": job_id}))["importJob"]
        if job["status"] in FINISHED:
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.02)


async def run_import(client, content, **kwargs):
    payload = await submit(client, content, **kwargs)
    assert payload["userErrors"] == [], payload
    assert payload["job"]["status"] in {"PENDING", "RUNNING", *FINISHED}
    return await wait_for(client, payload["job"]["id"])
