"""An intent's fills, read from the chain: the transaction that settled it (its `BatchSettled` ids).

The settlement contract is the record of what a user gave and received (valued at the batch's
clearing prices): `contracts.settlement.Settlement.executed` reads the ids from the batch event
and each intent's flows and the prices from the settle calldata the contract checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Fills = Callable[[str, str], list[dict[str, Any]]]  # (tx hash, intent id) -> that intent's events


def fills_reader(rpc_url: str, settlement: str) -> Fills:
    """A `Fills` reading receipts from `rpc_url` and decoding them with the `settlement` contract's ABI."""
    from web3 import Web3

    from contracts.settlement import Settlement

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    contract = Settlement(w3, settlement)

    def fills(tx_hash: str, intent_id: str) -> list[dict[str, Any]]:
        receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        wanted = intent_id.lower().removeprefix("0x")
        # given / received are valued at the batch's clearing prices (USD x 1e36, keel.units); None when
        # settle was reached through another contract and its calldata is not the transaction's input
        return [{"execution": int(e["execution"]), "owner": e["owner"],
                 "nonce": None if e["nonce"] is None else int(e["nonce"]),
                 "given": _text(e["given"]), "received": _text(e["received"]),
                 "givenUsd": _usd(e["given"]), "receivedUsd": _usd(e["received"]), "txHash": tx_hash,
                 "block": int(receipt["blockNumber"])}
                for e in contract.executed(receipt) if bytes(e["intentId"]).hex() == wanted]

    return fills


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _usd(value: int | None) -> float | None:
    from keel.units import USD_PRICE_SCALE

    return None if value is None else value / USD_PRICE_SCALE
