"""One root exception, a family per package, and the exit code each maps to.

Every error a user can cause is a `KeelError(detail, field)`: `detail` is one line that
says what is wrong and, where it helps, how to fix it, conventionally starting with the
field it names (`"prices.0xC02a…: must be positive"`); `field` is that field's path in the
input (`executions[0].flows.0xC02a…`, `intent.tokens[2]`, or None when no one field is to
blame). The CLI prints the line and exits with `exit_code`; the HTTP APIs answer with a
4xx JSON body `{"error": detail, "kind": class name, "field": field}`. Anything else is a
bug and gets a traceback only under --debug.

There is one way to say "this error happened inside that part of a bigger input":
`exc.within("intent")` (or `within("intents[3]")`) is the same error with `field` and
the message's leading field both prefixed, joined by `join_path`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Self


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    CHAIN = 3
    SETUP = 4
    REFUSED = 5
    NOT_FOUND = 6


def join_path(prefix: str, field: str | None) -> str:
    """`prefix` and `field` as one JSON path: ("intents[0]", "intent.tokens[2]") -> "intents[0].intent.tokens[2]";
    an index or an empty field joins without a dot ("executions", "[1].flows") -> "executions[1].flows"."""
    if not field:
        return prefix
    if not prefix:
        return field
    return prefix + field if field.startswith("[") else f"{prefix}.{field}"


class KeelError(Exception):
    """Root of every error keel raises on purpose: a one-line `detail` and the `field` it names."""

    exit_code: ExitCode = ExitCode.ERROR
    http_status: int = 400
    default_field: str | None = None  # a family whose errors always concern one field names it here

    def __init__(self, detail: str = "", field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field if field is not None else self.default_field

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def detail(self) -> str:
        return " ".join(str(self.args[0]).split()) if self.args and self.args[0] else self.kind

    def __str__(self) -> str:
        return self.detail

    def within(self, prefix: str) -> Self:
        """This error, as raised by the part of a bigger input found at `prefix`.

        The field becomes `join_path(prefix, field)`; a detail that starts with its field
        (`"tokens[2]: ..."`) starts with the joined path instead, and one that names no
        field is prefixed with `prefix`, so the one line still says where to look.
        """
        path = join_path(prefix, self.field)
        detail = self.detail
        if self.field and detail.startswith(f"{self.field}:"):
            detail = path + detail[len(self.field):]
        elif not detail.startswith(f"{prefix}:") and not detail.startswith(f"{prefix}."):
            detail = f"{prefix}: {detail}"
        # a fresh instance of the same class, never the original mutated (whatever its __init__ takes)
        moved = type(self).__new__(type(self))
        moved.__dict__.update(self.__dict__)
        Exception.__init__(moved, detail)
        moved.field = path
        return moved


class UsageError(KeelError):
    """Bad input from a user: a flag, a file, a body. One line, never a traceback."""

    exit_code = ExitCode.USAGE
    http_status = 400


class NotFoundError(UsageError):
    exit_code = ExitCode.NOT_FOUND
    http_status = 404


class SetupError(KeelError):
    """The machine is not set up: a missing npm install, a missing build."""

    exit_code = ExitCode.SETUP
    http_status = 500


class ChainError(KeelError):
    """The chain is unreachable, or answered something we cannot use."""

    exit_code = ExitCode.CHAIN
    http_status = 502


class RefusedError(KeelError):
    """A well-formed request that keel refuses: a revert, a tripped breaker, a conflict."""

    exit_code = ExitCode.REFUSED
    http_status = 409
