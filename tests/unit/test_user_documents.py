"""User and API-key documents are read only in store/ (issue 12, item 2): above the store,
users are domain/user.User and keys domain/api_key.ApiKey, converted by their stores in one
place each. No module above store/ reads a stored user or key field, as a subscript
(`doc["tier"]`) or a `.get("tier")` key. test_layering.py sees query operators; reading a
document needs none."""

from __future__ import annotations

import ast
from pathlib import Path

from seg_graphql.domain.users import PROFILE_FIELDS
from tests.unit.test_layering import PACKAGE, modules_above_the_store

STORES = (PACKAGE / "store" / "users.py", PACKAGE / "store" / "api_keys.py")
USER_FIELDS = {
    # the profile: stored under upsertUsers' names, with the lookup's lower-cased email
    *PROFILE_FIELDS,
    "userId",
    "emailLower",
    "updatedAt",
    # the membership state: m.s<segmentId> entries, the segments they name, the next expiry
    "m",
    "segs",
    "nextExpiry",
    "override",
    "listed",
    "expiresAt",
    "weight",
    "dataBag",
    "version",
    "referenceId",
    "description",
    "statusAt",
}
KEY_FIELDS = {
    "_id",
    "hash",
    "keyId",
    "tenant",
    "role",
    "teamIds",
    "name",
    "prefix",
    "createdBy",
    "lastUsedAt",
    "revoked",
    "revokedAt",
}
STORED = USER_FIELDS | KEY_FIELDS
# Dicts above the store that share a name with a stored field and are no stored document, with
# how many such reads each file makes (a further read of that name there is reported): the key
# commands' output is the API's JSON of a key; a USER_PROFILE import line's fields are
# upsertUsers' input; a persisted query's extension has its own "version".
NOT_A_DOCUMENT = {
    ("cli.py", "name"): 2,
    ("cli.py", "role"): 1,
    ("cli.py", "teamIds"): 1,
    ("cli.py", "revoked"): 1,
    ("importer/applier.py", "userId"): 1,
    ("web/persisted_queries.py", "version"): 1,
}


def _key_read(node: ast.AST) -> ast.Constant | None:
    if isinstance(node, ast.Subscript):
        key = node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
    ):
        key = node.args[0]
    else:
        return None
    return key if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def stored_field_reads(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    reads: dict[str, list[int]] = {}
    for node in ast.walk(ast.parse(path.read_text(), name)):
        key = _key_read(node)
        if key is not None and key.value in STORED:
            reads.setdefault(key.value, []).append(node.lineno)
    return [
        f"{name}:{line} reads a stored user or key field {field!r}"
        for field, lines in reads.items()
        if len(lines) > NOT_A_DOCUMENT.get((name, field), 0)
        for line in sorted(lines)
    ]


def test_every_named_exception_is_still_used_as_counted():
    counted = {}
    for path in modules_above_the_store():
        name = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), name)):
            key = _key_read(node)
            if key is not None and (name, key.value) in NOT_A_DOCUMENT:
                counted[name, key.value] = counted.get((name, key.value), 0) + 1
    assert counted == NOT_A_DOCUMENT


def test_no_module_above_the_store_reads_a_user_or_key_document():
    assert [v for path in modules_above_the_store() for v in stored_field_reads(path)] == []


def test_the_names_are_the_stores_own_and_the_check_sees_them():
    spelled = {
        node.value
        for path in STORES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert spelled >= STORED  # each name is one the user or key store writes or reads
    planted = PACKAGE / "graphql" / "_planted_for_test.py"
    planted.write_text(
        "def f(doc, key):\n"
        '    return doc["m"].get("s1"), doc.get("tier"), key["keyId"], doc.get(name)\n'
    )
    try:
        assert sorted(stored_field_reads(planted)) == [
            "graphql/_planted_for_test.py:2 reads a stored user or key field 'keyId'",
            "graphql/_planted_for_test.py:2 reads a stored user or key field 'm'",
            "graphql/_planted_for_test.py:2 reads a stored user or key field 'tier'",
        ]
    finally:
        planted.unlink()
