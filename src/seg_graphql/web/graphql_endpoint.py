"""A lean Starlette endpoint around `schema.execute`.

Strawberry's stock ASGI view does content negotiation, multipart and subscription handling
on every request; this endpoint does only what a JSON GraphQL request needs, with orjson
encoding. Measured ~2x the stock view's requests per second (bench/http_bench.py).

It follows the GraphQL-over-HTTP spec: `application/graphql-response+json` when the client
accepts it, where a request error (parse, validation, variables, limits: no `data`) is a 400;
with `application/json` those are 200, as the spec asks for that legacy type. A request that
is not one GraphQL request (bad JSON, bad parameters, a batch, an unknown operation) is a 400
either way.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from typing import Any

import orjson
import pymongo
import strawberry
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from seg_graphql.domain.errors import AccessError
from seg_graphql.execution import CompiledExecution
from seg_graphql.graphql.context import Context
from seg_graphql.graphql.errors import OUTAGE_MESSAGES, format_error
from seg_graphql.graphql.limits import OPERATION_CODE
from seg_graphql.store.errors import TIMEOUT, UNAVAILABLE, outage_code
from seg_graphql.web.access_log import AccessRecord
from seg_graphql.web.admission import Admission
from seg_graphql.web.graphiql import graphiql_page
from seg_graphql.web.metrics import Metrics
from seg_graphql.web.persisted_queries import PersistedQueries, PersistedQueryError
from seg_graphql.web.uploads import BadMultipart, BodyTooLarge, has_preflight_header, read_multipart

log = logging.getLogger("seg_graphql.web")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_RETRY_AFTER_BUSY = "1"
_RETRY_AFTER_OUTAGE = "5"
_DEADLINE_GRACE_SECONDS = 1.0  # the driver's own timeout fires first and says which call
_QUERY_ONLY = (OperationType.QUERY,)
_ALL_OPERATIONS = (OperationType.QUERY, OperationType.MUTATION)
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class GraphQLEndpoint:
    def __init__(
        self,
        *,
        schema: strawberry.Schema,
        runtime: Any,
        metrics: Metrics,
        max_body_bytes: int,
        graphiql: bool,
        max_upload_bytes: int = 0,
        persisted_queries: PersistedQueries | None = None,
        compiled_execution: bool = True,
        request_timeout_seconds: float = 10.0,
        max_concurrent_requests: int = 64,
    ) -> None:
        self.schema = schema
        self.execution = CompiledExecution(schema, enabled=compiled_execution)
        self.runtime = runtime  # app.state: the store and authenticator appear at start-up
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # an upload carries the file plus the form's own fields and boundaries
        self.max_upload_bytes = (max_upload_bytes or max_body_bytes) + 64 * 1024
        self.graphiql = graphiql
        self._ide_html = graphiql_page() if graphiql else ""
        # `is None`: an empty registry has len() 0
        self.persisted = PersistedQueries(0) if persisted_queries is None else persisted_queries
        self.deadline = request_timeout_seconds
        self.admission = Admission(max_concurrent_requests)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        record = AccessRecord(request_id=_request_id(request), method=request.method)
        media_type = _response_media_type(request)
        response: Response | None = None
        try:
            with self.admission.slot() as admitted:
                if not admitted:
                    response = _failure(
                        503,
                        f"the server is serving its limit of {self.admission.limit} requests; "
                        "retry shortly",
                        UNAVAILABLE,
                        record.request_id,
                        media_type,
                    )
                    response.headers["Retry-After"] = _RETRY_AFTER_BUSY
                else:
                    response = await self._handle(request, record, media_type)
            return response
        finally:
            record.status = response.status_code if response is not None else 500
            record.codes = getattr(response, "error_codes", [])
            self.metrics.observe(record, time.perf_counter() - started)
            record.write(time.perf_counter() - started)

    async def _handle(self, request: Request, record: AccessRecord, media_type: str) -> Response:
        request_id = record.request_id
        form: FormData | None = None
        try:
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                if not self.graphiql:
                    return _failure(404, "GraphiQL is disabled", "NOT_FOUND", request_id)
                return HTMLResponse(self._ide_html)
            runtime = self.runtime
            authorization = request.headers.get("authorization")
            principal = None
            content_type = _media_type(request)  # read once: each header lookup scans them all
            multipart = request.method == "POST" and content_type == "multipart/form-data"
            if multipart:  # refuse strangers before reading a large upload
                principal = await runtime.authenticator.authenticate(authorization)
            body, form = await self._read_params(request, content_type, multipart)
            if isinstance(body, Response):
                return _with_id(body, request_id)
            record.name_operation(body.get("operationName"))
            principal = principal or await runtime.authenticator.authenticate(authorization)
            record.tenant = principal.tenant
            persisted = self.persisted.resolve(principal.tenant, body)
            query = persisted.query if persisted else body["query"]
            context = Context(
                store=runtime.store,
                principal=principal,
                request_id=request_id,
                settings=runtime.settings,
                wake_imports=getattr(runtime, "wake_imports", None),
                wake_estimates=getattr(runtime, "wake_estimates", None),
            )
            deadline = runtime.store.deadline(self.deadline)
            result = await self._execute(query, body, context, request.method, deadline)
            errors = [format_error(e, request_id) for e in result.errors or ()]
            if deadline < self.deadline:  # begun while no database server was known
                errors = [_outage_not_timeout(e) for e in errors]
            if any(_code(e) == UNAVAILABLE for e in errors):
                response = _json({"data": result.data, "errors": errors}, 503, request_id)
                response.headers["Retry-After"] = _RETRY_AFTER_OUTAGE
                return response
            if _is_request_error(result):
                # nothing ran: the spec's GraphQL response has no `data` then
                status = 400 if media_type == GRAPHQL_RESPONSE or _no_operation(errors) else 200
                return _json({"errors": errors}, status, request_id, media_type)
            if persisted and persisted.register_as:
                self.persisted.register(principal.tenant, persisted.register_as, query)
            payload: dict[str, Any] = {"data": result.data}
            if errors:
                payload["errors"] = errors
            return _json(payload, 200, request_id, media_type)
        except PersistedQueryError as exc:
            status = 200 if exc.request_error and media_type == JSON else 400
            return _failure(status, exc.message, exc.code, request_id, media_type)
        except BodyTooLarge:
            return _with_id(_too_large(self.max_upload_bytes), request_id)
        except CannotGetOperationTypeError as exc:
            message = (
                f"the document has no operation named '{exc.operation_name[:100]}'"
                if exc.operation_name
                else "the document has several operations: say which to run in 'operationName'"
            )
            return _failure(400, message, OPERATION_CODE, request_id, media_type)
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                return _failure(
                    400,
                    "this API has no subscriptions; poll with a query",
                    "BAD_REQUEST",
                    request_id,
                    media_type,
                )
            response = _failure(405, "mutations need POST", "BAD_REQUEST", request_id, media_type)
            response.headers["Allow"] = "POST"
            return response
        except AccessError as exc:
            status = 401 if exc.code.value == "UNAUTHENTICATED" else 403
            response = _failure(status, exc.message, exc.code.value, request_id, media_type)
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        except TimeoutError:
            log.warning("request %s ran past its %.1f s deadline", request_id, self.deadline)
            return _failure(200, OUTAGE_MESSAGES[TIMEOUT], TIMEOUT, request_id, media_type)
        except Exception as exc:
            outage = outage_code(exc)
            if outage == UNAVAILABLE:
                log.warning("request %s: the store is unreachable (%s)", request_id, exc)
                response = _failure(503, OUTAGE_MESSAGES[UNAVAILABLE], outage)
                response.headers["Retry-After"] = _RETRY_AFTER_OUTAGE
                return _with_id(response, request_id)
            if outage == TIMEOUT:
                return _failure(200, OUTAGE_MESSAGES[TIMEOUT], TIMEOUT, request_id, media_type)
            log.exception("request %s failed", request_id)
            return _failure(
                500,
                f"Internal server error (request id {request_id})",
                "INTERNAL_SERVER_ERROR",
                request_id,
                media_type,
            )
        finally:
            if form is not None:
                await form.close()

    async def _execute(
        self, query: str, body: dict[str, Any], context: Context, method: str, deadline: float
    ) -> Any:
        """Runs the operation under the request's deadline: pymongo.timeout bounds every
        database call made inside it (tasks started here inherit it, and it sends
        maxTimeMS, so the server stops too); asyncio.timeout bounds the rest."""
        with pymongo.timeout(deadline):
            async with asyncio.timeout(deadline + _DEADLINE_GRACE_SECONDS):
                return await self.execution.execute(
                    query,
                    variable_values=body.get("variables"),
                    context_value=context,
                    operation_name=body.get("operationName"),
                    allowed_operation_types=_QUERY_ONLY if method == "GET" else _ALL_OPERATIONS,
                )

    async def _read_params(
        self, request: Request, content_type: str, multipart: bool
    ) -> tuple[dict[str, Any] | Response, FormData | None]:
        if multipart:
            return await self._read_multipart(request)
        return await self._read_json(request, content_type), None

    async def _read_multipart(
        self, request: Request
    ) -> tuple[dict[str, Any] | Response, FormData | None]:
        if not has_preflight_header(request):
            return _failure(
                400,
                "multipart requests need the header 'Apollo-Require-Preflight: true' "
                "(CSRF protection)",
                "BAD_REQUEST",
            ), None
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_upload_bytes:
            return _too_large(self.max_upload_bytes), None
        try:
            params, form = await read_multipart(request, self.max_upload_bytes)
        except BadMultipart as exc:
            return _failure(400, str(exc), "BAD_REQUEST"), None
        except (MultiPartException, HTTPException) as exc:
            # Starlette turns the parser's MultiPartException into an HTTPException
            detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
            return _failure(400, f"malformed multipart body: {detail}", "BAD_REQUEST"), None
        return _check_params(params), form

    async def _read_json(self, request: Request, content_type: str) -> dict[str, Any] | Response:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = orjson.loads(params[name])
                    except orjson.JSONDecodeError:
                        return _failure(400, f"{name} is not valid JSON", "BAD_REQUEST")
        else:
            if content_type != "application/json":
                return _failure(
                    415,
                    "send the request as application/json (or multipart/form-data with files)",
                    "BAD_REQUEST",
                )
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                return _too_large(self.max_body_bytes)
            raw = bytearray()
            async for chunk in request.stream():
                raw.extend(chunk)
                if len(raw) > self.max_body_bytes:
                    return _too_large(self.max_body_bytes)
            try:
                params = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return _failure(400, "the request body is not valid JSON", "BAD_REQUEST")
        return _check_params(params)


def _check_params(params: Any) -> dict[str, Any] | Response:
    if isinstance(params, list):
        return _failure(
            400,
            "batched requests (a JSON array) are not accepted: send one operation per request",
            "BAD_REQUEST",
        )
    if not isinstance(params, dict):
        return _failure(400, "the request body must be a JSON object", "BAD_REQUEST")
    if params.get("extensions") is not None and not isinstance(params["extensions"], dict):
        return _failure(400, "'extensions' must be an object", "BAD_REQUEST")
    hash_only = params.get("query") is None and "persistedQuery" in (params.get("extensions") or {})
    if not hash_only and (not isinstance(params.get("query"), str) or not params["query"].strip()):
        return _failure(400, "'query' must be a non-empty string", "BAD_REQUEST")
    if params.get("variables") is not None and not isinstance(params["variables"], dict):
        return _failure(400, "'variables' must be an object", "BAD_REQUEST")
    name = params.get("operationName")
    if name is not None and not isinstance(name, str):
        return _failure(400, "'operationName' must be a string", "BAD_REQUEST")
    return params


def _media_type(request: Request) -> str:
    """The Content-Type without its parameters: 'application/jsonx' is not JSON."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    # 16 hex digits, as uuid4().hex[:16] gave, without building a UUID: 2.1 -> 0.6 us
    return given if _REQUEST_ID.match(given) else secrets.token_hex(8)


def _response_media_type(request: Request) -> str:
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in request.headers.get("accept", "") else JSON


def _is_request_error(result: Any) -> bool:
    """No execution happened (parse, validation, variables, limits): no error has a path."""
    return (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )


def _no_operation(errors: list[dict[str, Any]]) -> bool:
    return any(e.get("extensions", {}).get("code") == OPERATION_CODE for e in errors)


class _GraphQLResponse(Response):
    """A JSON response that remembers its error codes, for the access log and metrics."""

    error_codes: list[str]


def _json(
    payload: dict[str, Any], status: int, request_id: str | None = None, media_type: str = JSON
) -> Response:
    # orjson writes UTF-8; the charset is said for clients that need it said
    response = _GraphQLResponse(
        orjson.dumps(payload), status_code=status, media_type=f"{media_type}; charset=utf-8"
    )
    response.error_codes = sorted({_code(e) for e in payload.get("errors") or ()})
    return _with_id(response, request_id)


def _outage_not_timeout(error: dict[str, Any]) -> dict[str, Any]:
    """A request that began during an outage and ran out of its (shortened) time was failed
    by the outage, not by its own cost: the server it waited on was starting or gone."""
    if _code(error) != TIMEOUT:
        return error
    extensions = {**error["extensions"], "code": UNAVAILABLE}
    return {**error, "message": OUTAGE_MESSAGES[UNAVAILABLE], "extensions": extensions}


def _code(error: dict[str, Any]) -> str:
    return str((error.get("extensions") or {}).get("code", ""))


def _with_id(response: Response, request_id: str | None) -> Response:
    if request_id:
        response.headers["X-Request-ID"] = request_id
    return response


def _failure(
    status: int,
    message: str,
    code: str,
    request_id: str | None = None,
    media_type: str = JSON,
) -> Response:
    return _json(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status,
        request_id,
        media_type,
    )


def _too_large(limit: int) -> Response:
    return _failure(413, f"the request body exceeds {limit} bytes", "PAYLOAD_TOO_LARGE")
