"""One root exception, a family per package, and the exit code each maps to.

Every error a user can cause is a `KeelError`; its message is one line that says
what is wrong and, where it helps, how to fix it. The CLI prints that line and
exits with `exit_code`; the HTTP APIs answer with a 4xx JSON body whose `kind`
is the class name. Anything else is a bug and gets a traceback only under --debug.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    CHAIN = 3
    SETUP = 4
    REFUSED = 5
    NOT_FOUND = 6


class KeelError(Exception):
    """Root of every error keel raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR
    http_status: int = 400

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return " ".join(str(self.args[0]).split()) if self.args else self.kind


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
