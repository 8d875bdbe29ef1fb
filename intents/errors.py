"""The intents package's error family: every refusal names the offending field.

`field` is a dotted path into the intent's wire shape (`tokens[2]`, `targetWeightBps`),
echoed in the HTTP error body so a script can point at the culprit.
"""

from __future__ import annotations

from keel.errors import ChainError, NotFoundError, RefusedError, SetupError, UsageError


class IntentError(UsageError):
    """A malformed or invalid intent, book or flag. HTTP 400, exit 2."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SignatureError(IntentError):
    """The signature does not verify for the intent's owner, chain and settlement contract."""


class ExpiredError(IntentError):
    """`validTo` is in the past."""


class BookError(IntentError):
    """An options book file that cannot be read: missing column, bad value."""


class KeystoreError(UsageError):
    """A keystore that does not exist, a wrong password, an account name already taken."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownAccount(NotFoundError, KeystoreError):
    """No keystore by that name or address: "not found" (exit 6), still a KeystoreError for its callers."""

    def __init__(self, message: str, field: str | None = "account") -> None:
        super().__init__(message)
        self.field = field


class IntentNotFound(NotFoundError):
    def __init__(self, message: str, field: str | None = "id") -> None:
        super().__init__(message)
        self.field = field


class UnknownToken(IntentNotFound, IntentError):
    """A token symbol the chain's deployment does not know: not found (exit 6, as in `keel route`),
    and still an IntentError for callers that catch the intent family."""

    def __init__(self, message: str, field: str | None = "token") -> None:
        super().__init__(message, field)


class DuplicateIntent(RefusedError):
    """The same intent (same id) or the same (owner, nonce) is already in the book. HTTP 409."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransitionError(RefusedError):
    """A lifecycle step that is not allowed from the intent's current status."""

    def __init__(self, message: str, field: str | None = "status") -> None:
        super().__init__(message)
        self.field = field


class IntentChainError(ChainError):
    """The chain answered something the intents package cannot use."""


class OrderbookUnavailable(SetupError):
    """No orderbook answers at the URL given."""

    def __init__(self, message: str, field: str | None = "orderbook") -> None:
        super().__init__(message)
        self.field = field


class OwnerCapReached(RefusedError):
    """The owner already has as many live intents as the orderbook allows. HTTP 409."""

    default_field = "owner"
