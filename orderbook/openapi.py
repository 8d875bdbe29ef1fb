"""`orderbook/openapi.yml`, generated from the wire models the API parses and answers with.

    python -m orderbook.openapi          rewrite orderbook/openapi.yml
    python -m orderbook.openapi --check  exit 1 if the committed file differs

The route table below is the API's (`orderbook.api.make_app`); a test checks that the two
name the same routes and that the committed file equals `render(document())`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from intents.wire import CancellationModel, SignedIntentModel
from keel.openapi import METRICS_ROUTE, ListOf, Route, openapi, render, write_or_check
from orderbook.wire import AcceptedModel, HealthModel, IntentPath, IntentRecordModel, ListQuery

FILE = Path(__file__).with_name("openapi.yml")
TITLE = "keel orderbook"
DESCRIPTION = ("Signed risk outcomes (intents) in, lifecycle out. Generated from the pydantic models "
               "(python -m orderbook.openapi); written as JSON, which is valid YAML. uint256 values are "
               "decimal strings (integers also accepted). Every error is {error, kind, field}; a refusal stores nothing.")

ROUTES = (
    Route("/intents", "post", "Submit a signed intent", request=SignedIntentModel,
          responses={201: ("Stored (committed to the store, sqlite or Postgres, before this answer)", AcceptedModel),
                     400: ("Malformed or invalid (InsufficientBalance, InsufficientAllowance, a bad signature, "
                          "…); the field is named", None),
                     408: ("The body did not arrive in time", None),
                     409: ("A duplicate, a nonce already spent, or the owner already holds the most live intents "
                          "allowed (OwnerCapReached)", None),
                     503: ("The chain checks (EIP-1271, nonce, funds) timed out or too many wait; retry", None)}),
    Route("/intents", "get", "List intents, oldest first", query=ListQuery,
          responses={200: ("Records", ListOf(IntentRecordModel)), 400: ("A bad query parameter", None)}),
    Route("/intents/{id}", "get", "One intent", path_params=IntentPath,
          responses={200: ("The record", IntentRecordModel), 400: ("A malformed id", None),
                     404: ("No such intent", None)}),
    Route("/intents/{id}", "delete", "Cancel an open intent with the owner's signed EIP-712 Cancellation(bytes32 intentId)",
          path_params=IntentPath, request=CancellationModel,
          responses={200: ("Cancelled", AcceptedModel), 400: ("Malformed, or not the owner's signature", None),
                     404: ("No such intent", None), 409: ("Not open any more", None),
                     503: ("The wallet's EIP-1271 check timed out; retry", None)}),
    Route("/health", "get", "Liveness, chain id, settlement address, number of intents",
          responses={200: ("OK", HealthModel)}),
    METRICS_ROUTE,
)


def document() -> dict[str, Any]:
    return openapi(TITLE, DESCRIPTION, ROUTES)


def main(argv: list[str]) -> int:
    return write_or_check(FILE, "orderbook.openapi", render(document()), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
