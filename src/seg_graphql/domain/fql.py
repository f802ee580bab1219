"""FQL (Feedier's Mongo-like JSON rules) to and from the rule AST.

FQL is a JSON list of `{field: {"$op": value}}` objects, ANDed. Exclusions are written
`{"$nor": [...]}` (or `{"$not": {one criterion}}`), `$and` groups are flattened. Only the
operators in `_OPERATORS` exist; anything else starting with `$` is rejected with the path
of the offending key, so user JSON never reaches MongoDB as an operator of its own.
"""

from __future__ import annotations

import json
from typing import Any

from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError
from seg_graphql.domain.models import CriterionDraft, Operator, Rules, RulesDraft
from seg_graphql.domain.rules import validate_rules

MAX_FQL_BYTES = 64 * 1024
MAX_DEPTH = 4

_OPERATORS: dict[str, Operator] = {
    "$eq": Operator.EQUALS,
    "$ne": Operator.NOT_EQUALS,
    "$in": Operator.IN,
    "$nin": Operator.NOT_IN,
    "$gt": Operator.GT,
    "$gte": Operator.GTE,
    "$lt": Operator.LT,
    "$lte": Operator.LTE,
    "$contains": Operator.CONTAINS,
    "$ncontains": Operator.NOT_CONTAINS,
}
_SYMBOLS = {op: symbol for symbol, op in _OPERATORS.items()}

Path = tuple[str | int, ...]


def parse_fql(source: Any, path: Path = ("fql",)) -> Rules:
    """Parses FQL given as JSON text or as already-decoded JSON into validated Rules."""
    document = _decode(source, path)
    if not isinstance(document, list):
        document = [document] if isinstance(document, dict) else document
    if not isinstance(document, list):
        raise _bad("FQL must be a JSON list of {field: {$op: value}} objects", path)
    include: list[CriterionDraft] = []
    exclude: list[CriterionDraft] = []
    include_paths: list[Path] = []
    exclude_paths: list[Path] = []
    problems: list[Problem] = []
    for index, item in enumerate(document):
        try:
            _collect(item, (*path, index), include, include_paths, exclude, exclude_paths, 1)
        except UserInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise UserInputError(problems)
    try:
        return validate_rules(RulesDraft(tuple(include), tuple(exclude)), path=("rules",))
    except UserInputError as exc:
        raise UserInputError(
            [_repath(p, include_paths, exclude_paths, path) for p in exc.problems]
        ) from None


def rules_to_fql(rules: Rules) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [_criterion_fql(c) for c in rules.include]
    if rules.exclude:
        items.append({"$nor": [_criterion_fql(c) for c in rules.exclude]})
    return items


def rules_to_fql_text(rules: Rules) -> str:
    return json.dumps(rules_to_fql(rules), separators=(",", ":"), ensure_ascii=False)


def _criterion_fql(criterion: Any) -> dict[str, Any]:
    if criterion.operator is Operator.EXISTS:
        return {criterion.field: {"$exists": True}}
    if criterion.operator is Operator.NOT_EXISTS:
        return {criterion.field: {"$exists": False}}
    return {criterion.field: {_SYMBOLS[criterion.operator]: criterion.value}}


def _decode(source: Any, path: Path) -> Any:
    if not isinstance(source, str):
        return source
    if len(source.encode()) > MAX_FQL_BYTES:
        raise UserInputError.single(
            ErrorCode.LIMIT_EXCEEDED, f"FQL is limited to {MAX_FQL_BYTES} bytes", path
        )
    try:
        return json.loads(source, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"FQL is not valid JSON: {exc}", path) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _collect(
    item: Any,
    path: Path,
    include: list,
    include_paths: list,
    exclude: list,
    exclude_paths: list,
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise _bad(f"FQL groups nest at most {MAX_DEPTH} levels", path)
    if not isinstance(item, dict) or not item:
        raise _bad("each FQL item must be a non-empty object {field: {$op: value}}", path)
    for key, body in item.items():
        here = (*path, key)
        if key == "$and":
            if not isinstance(body, list):
                raise _bad("$and takes a list", here)
            for index, sub in enumerate(body):
                _collect(
                    sub, (*here, index), include, include_paths, exclude, exclude_paths, depth + 1
                )
        elif key in ("$nor", "$not"):
            subs = body if key == "$nor" else [body]
            if key == "$nor" and not isinstance(body, list):
                raise _bad("$nor takes a list", here)
            for index, sub in enumerate(subs):
                sub_path = (*here, index) if key == "$nor" else here
                found: list[CriterionDraft] = []
                found_paths: list[Path] = []
                _criteria_of(sub, sub_path, found, found_paths)
                if key == "$not" and len(found) != 1:
                    raise _bad("$not takes exactly one criterion; use $nor for several", here)
                exclude.extend(found)
                exclude_paths.extend(found_paths)
        elif key.startswith("$"):
            raise _bad(_unknown_group(key), here)
        else:
            _field_criteria(key, body, here, include, include_paths)


def _criteria_of(item: Any, path: Path, out: list, out_paths: list) -> None:
    if not isinstance(item, dict) or not item:
        raise _bad("expected an object {field: {$op: value}}", path)
    for key, body in item.items():
        if key.startswith("$"):
            raise _bad(f"operator {key} is not allowed inside an exclusion", (*path, key))
        _field_criteria(key, body, (*path, key), out, out_paths)


def _field_criteria(field: str, body: Any, path: Path, out: list, out_paths: list) -> None:
    if "$" in field or "\x00" in field:
        raise _bad(f"field names may not contain '$' or NUL: '{field[:60]}'", path)
    if isinstance(body, dict):
        if not body:
            raise _bad("an empty object is not a condition", path)
        for op, value in body.items():
            out.append(_criterion(field, op, value, (*path, op)))
            out_paths.append((*path, op))
        return
    if isinstance(body, list):
        raise _bad('a list needs an operator: use {"$in": [...]}', path)
    out.append(CriterionDraft(field, Operator.EQUALS, body))
    out_paths.append(path)


def _criterion(field: str, op: str, value: Any, path: Path) -> CriterionDraft:
    if not isinstance(op, str) or not op.startswith("$"):
        raise _bad('embedded documents are not supported; use {"$op": value}', path)
    if op == "$exists":
        if not isinstance(value, bool):
            raise _bad("$exists takes true or false", path)
        operator = Operator.EXISTS if value else Operator.NOT_EXISTS
        return CriterionDraft(field, operator)
    if op not in _OPERATORS:
        raise _bad(_unknown_operator(op), path)
    if _contains_object(value):
        raise _bad(f"values of {op} must be scalars or lists of scalars", path)
    return CriterionDraft(field, _OPERATORS[op], value)


def _contains_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(v, dict | list) for v in value)


def _unknown_operator(op: str) -> str:
    allowed = ", ".join([*_OPERATORS, "$exists"])
    return f"operator {op[:40]} is not allowed; use one of {allowed}"


def _unknown_group(op: str) -> str:
    if op == "$or":
        return "$or is not supported: use $in for alternatives of one field"
    return f"operator {op[:40]} is not allowed at the top level; use $and, $nor or $not"


def _repath(
    problem: Problem, include_paths: list[Path], exclude_paths: list[Path], root: Path
) -> Problem:
    # validate_rules speaks of rules.include.N.value; point back at the FQL key instead.
    parts = problem.path
    if len(parts) >= 3 and parts[1] in ("include", "exclude") and isinstance(parts[2], int):
        paths = include_paths if parts[1] == "include" else exclude_paths
        if parts[2] < len(paths):
            return Problem(problem.code, problem.message, paths[parts[2]])
    return Problem(problem.code, problem.message, root)


def _bad(message: str, path: Path) -> UserInputError:
    return UserInputError.single(ErrorCode.BAD_USER_INPUT, message, path)
