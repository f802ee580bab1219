"""Submits an import file to a running server through the GraphQL API and follows the job.

Through the API rather than into the database: the key's tenant and role apply exactly as
they do for any client, and the embedded store (inside `serve`) is reachable this way too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

JOB_FIELDS = """id name status sizeBytes total applied failed progress
error { code message } errors(first: 10) { line code message }"""

RUN_IMPORT = f"""
mutation RunImport($input: RunImportInput!) {{
  runImport(input: $input) {{ job {{ {JOB_FIELDS} }} userErrors {{ field message code }} }}
}}"""

IMPORT_JOB = f"query ImportJob($id: ID!) {{ importJob(id: $id) {{ {JOB_FIELDS} }} }}"

FINISHED = ("SUCCEEDED", "PARTIAL", "FAILED")


class ImportClientError(Exception):
    pass


class ImportClient:
    def __init__(self, url: str, key: str, *, timeout: float = 300.0) -> None:
        self._http = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
        self._url = url

    def close(self) -> None:
        self._http.close()

    def submit(self, path: Path, *, document_type: str, format: str, name: str) -> dict[str, Any]:
        """Uploads the file as a GraphQL multipart request (streamed, not read into memory)."""
        operations = {
            "query": RUN_IMPORT,
            "variables": {
                "input": {
                    "documentType": document_type,
                    "format": format,
                    "name": name,
                    "file": None,
                }
            },
        }
        with path.open("rb") as file:
            response = self._http.post(
                self._url,
                headers={"Apollo-Require-Preflight": "true"},
                data={
                    "operations": orjson.dumps(operations).decode(),
                    "map": orjson.dumps({"0": ["variables.input.file"]}).decode(),
                },
                files={"0": (path.name, file, "application/octet-stream")},
            )
        payload = self._data(response)["runImport"]
        if payload["userErrors"]:
            raise ImportClientError(
                "; ".join(f"{e['code']}: {e['message']}" for e in payload["userErrors"])
            )
        return payload["job"]

    def job(self, job_id: str) -> dict[str, Any]:
        response = self._http.post(
            self._url, json={"query": IMPORT_JOB, "variables": {"id": job_id}}
        )
        return self._data(response)["importJob"]

    def wait(
        self,
        job_id: str,
        *,
        poll_seconds: float = 0.5,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        while True:
            job = self.job(job_id)
            if on_progress is not None:
                on_progress(job)
            if job["status"] in FINISHED:
                return job
            time.sleep(poll_seconds)

    @staticmethod
    def _data(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise ImportClientError(
                f"the server answered HTTP {response.status_code}: {response.text[:200]}"
            ) from None
        if body.get("errors"):
            first = body["errors"][0]
            code = (first.get("extensions") or {}).get("code", "ERROR")
            raise ImportClientError(f"{code}: {first.get('message')}")
        return body["data"]
