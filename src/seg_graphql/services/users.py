"""User profile use cases: batch upsert with per-item errors, lookup by id or email."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seg_graphql.domain.errors import ErrorCode, Problem, not_found
from seg_graphql.domain.inputs import parse_batch
from seg_graphql.domain.models import Role
from seg_graphql.domain.user import User
from seg_graphql.domain.users import UserProfile
from seg_graphql.services.auth import require_role
from seg_graphql.services.scope import Scope

# Identifiers that name one user (UserProfile.identifiers): a second user may not claim them.
_UNIQUE_IDENTIFIERS = ("email", "emailHash", "userAgentId")


@dataclass
class UpsertResult:
    users: list[User | None]  # in input order; None where the item failed
    problems: list[Problem]


class UserService:
    def __init__(self, scope: Scope) -> None:
        self.principal = scope.principal
        self.store = scope.users
        self._now = scope.now

    async def resolve(self, user: str) -> User | None:
        return await self.store.resolve(user)

    async def require(self, user: str, path: Sequence[str | int]) -> User:
        found = await self.store.resolve(user)
        if found is None:
            raise not_found("user", user[:80], path)
        return found

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        return await self.store.get_many(user_ids)

    async def upsert(self, items: Sequence[Mapping[str, Any]]) -> UpsertResult:
        """Saves the valid items and returns them as stored, in input order."""
        valid, problems = await self.save(items)
        stored = await self.store.get_many(p.user_id for p in valid.values())
        users = [stored.get(valid[i].user_id) if i in valid else None for i in range(len(items))]
        return UpsertResult(users=users, problems=problems)

    async def save(
        self, items: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[int, UserProfile], list[Problem]]:
        """Saves the valid items (one bulk write); the saved profiles by index, and the
        problems of the others. Imports need no read-back: they call this."""
        require_role(self.principal, Role.ADMIN, Role.EDITOR)
        valid, problems = parse_batch(
            UserProfile, items, lambda i: ("users", i), noun="users", root="users"
        )
        for index in await self._conflicts(valid):
            valid.pop(index[0])
            problems.append(index[1])
        seen: dict[str, int] = {}
        for index, profile in list(valid.items()):
            if profile.user_id in seen:
                valid.pop(index)
                problems.append(
                    Problem(
                        ErrorCode.DUPLICATE,
                        f"userId '{profile.user_id}' appears twice in the batch "
                        f"(first at index {seen[profile.user_id]})",
                        ("users", index, "userId"),
                    )
                )
            else:
                seen[profile.user_id] = index
        await self.store.upsert_profiles(list(valid.values()), self._now())
        return valid, sorted(problems, key=_problem_order)

    async def _conflicts(self, valid: Mapping[int, UserProfile]) -> list[tuple[int, Problem]]:
        """Items whose email, email hash or user agent id belong to another user."""
        conflicts: list[tuple[int, Problem]] = []
        given = {index: profile.identifiers() for index, profile in valid.items()}
        owners = await self.store.owners(
            {name: [ids.get(name) for ids in given.values()] for name in _UNIQUE_IDENTIFIERS}
        )
        for input_field in _UNIQUE_IDENTIFIERS:
            wanted = {index: ids.get(input_field) for index, ids in given.items()}
            claimed: dict[Any, str] = {}
            for index, value in wanted.items():
                if value is None:
                    continue
                user_id = valid[index].user_id
                owner = owners.get((input_field, value)) or claimed.get(value)
                if owner and owner != user_id:
                    conflicts.append(
                        (
                            index,
                            Problem(
                                ErrorCode.DUPLICATE,
                                f"{input_field} already belongs to user '{owner}'",
                                ("users", index, input_field),
                            ),
                        )
                    )
                claimed.setdefault(value, user_id)
        unique: dict[int, tuple[int, Problem]] = {}
        for index, problem in conflicts:
            unique.setdefault(index, (index, problem))
        return list(unique.values())

    async def page(self, *, after: str | None, first: int) -> tuple[list[User], bool]:
        users = await self.store.page({}, after=after, limit=first + 1)
        return users[:first], len(users) > first

    async def count(self) -> int:
        return await self.store.count({})


def _problem_order(problem: Problem) -> tuple[int, str]:
    index = problem.path[1] if len(problem.path) > 1 and isinstance(problem.path[1], int) else -1
    return index, problem.field or ""
