"""Error codes and the exceptions the domain and services raise.

A `UserInputError` is expected: it travels to the client inside a mutation
payload's `userErrors`, or as a top-level error with the same code for queries.
An `AccessError` is top-level, except FORBIDDEN raised inside a mutation, which is
a `userErrors` entry like any other business failure (SPEC section 7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CYCLE = "CYCLE"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"


Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, pointing at the bad field (the seeds' loc/msg/type)."""

    code: ErrorCode
    message: str
    path: Path = ()

    @property
    def field(self) -> str | None:
        return ".".join(str(part) for part in self.path) or None

    def under(self, *prefix: str | int) -> Problem:
        return Problem(self.code, self.message, (*prefix, *self.path))


@dataclass
class UserInputError(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(
        cls, code: ErrorCode, message: str, path: Sequence[str | int] = ()
    ) -> UserInputError:
        return cls([Problem(code, message, tuple(path))])

    def under(self, *prefix: str | int) -> UserInputError:
        return UserInputError([p.under(*prefix) for p in self.problems])


def not_found(kind: str, ident: object, path: Sequence[str | int] = ()) -> UserInputError:
    return UserInputError.single(ErrorCode.NOT_FOUND, f"{kind} {ident} not found", path)


def bad_input(message: str, path: Sequence[str | int] = ()) -> UserInputError:
    return UserInputError.single(ErrorCode.BAD_USER_INPUT, message, path)


class AccessError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def unauthenticated(message: str = "a valid API key is required") -> AccessError:
    return AccessError(ErrorCode.UNAUTHENTICATED, message)


def forbidden(message: str) -> AccessError:
    return AccessError(ErrorCode.FORBIDDEN, message)
