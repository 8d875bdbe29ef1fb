"""Python binding of BatchSettlement: ABI shapes, `settle` transactions, decoded refusals.

The wire shapes mirror docs/interfaces.md: an `Execution` carries the intent as its ABI
tuple (`intents.model.Intent.as_tuple()`; this layer sits below `intents` and does not
import it), a signing scheme, the signature, each intent token's index in the batch's
sorted `tokens`, and signed flows in base units (< 0 pulled from the owner, > 0 paid).
Every revert surfaces as `SettlementReverted` carrying the decoded custom error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from contracts import revert
from contracts.intent_abi import INTENT_ABI_TYPE
from contracts.interaction import INTERACTION_ABI_TYPE, Interaction
from contracts.revert import SettlementReverted
from keel.errors import ChainError, UsageError

EXECUTION_ABI_TYPE = f"({INTENT_ABI_TYPE},uint8,bytes,uint256[],int256[])"
SETTLE_SIGNATURE = f"settle(address[],uint256[],{EXECUTION_ABI_TYPE}[],{INTERACTION_ABI_TYPE}[])"
SETTLE_SELECTOR = keccak(text=SETTLE_SIGNATURE)[:4]

SCHEME_EIP712 = 0
SCHEME_EIP1271 = 1


@dataclass(frozen=True)
class Execution:
    """One signed intent as executed in a batch; `intent` is the Intent's ABI tuple."""

    intent: tuple[Any, ...]
    signing_scheme: int
    signature: bytes
    price_index: tuple[int, ...]
    flows: tuple[int, ...]

    @property
    def owner(self) -> str:
        return str(self.intent[0])

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.intent, int(self.signing_scheme), bytes(self.signature), list(self.price_index), list(self.flows))


@dataclass(frozen=True)
class Batch:
    """settle()'s four arguments. `tokens` strictly ascending; one price per token."""

    tokens: tuple[str, ...]
    clearing_prices: tuple[int, ...]
    executions: tuple[Execution, ...] = ()
    interactions: tuple[Interaction, ...] = ()

    def args(self) -> tuple[Any, ...]:
        return (
            [to_checksum_address(t) for t in self.tokens],
            [int(p) for p in self.clearing_prices],
            [e.as_tuple() for e in self.executions],
            [i.as_tuple() for i in self.interactions],
        )

    def calldata(self) -> bytes:
        """The exact calldata of `settle(...)` for this batch."""
        types = ["address[]", "uint256[]", f"{EXECUTION_ABI_TYPE}[]", f"{INTERACTION_ABI_TYPE}[]"]
        return SETTLE_SELECTOR + abi_encode(types, list(self.args()))


def sorted_prices(prices: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Order a token → price map the way settle() wants it: ascending by address."""
    for token, price in prices.items():
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise UsageError(f"prices[{token}]: {price!r} is not a non-negative integer")
    tokens = sorted((to_checksum_address(t) for t in prices), key=lambda a: int(a, 16))
    lookup = {to_checksum_address(t): p for t, p in prices.items()}
    return tuple(tokens), tuple(lookup[t] for t in tokens)


def price_index(intent_tokens: Sequence[str], batch_tokens: Sequence[str]) -> tuple[int, ...]:
    """For each intent token, its index in the batch's tokens; UsageError if one is missing."""
    where = {to_checksum_address(t): i for i, t in enumerate(batch_tokens)}
    out = []
    for j, token in enumerate(intent_tokens):
        key = to_checksum_address(token)
        if key not in where:
            raise UsageError(f"tokens[{j}]: {key} has no clearing price in this batch")
        out.append(where[key])
    return tuple(out)


def make_batch(
    prices: Mapping[str, int],
    executions: Sequence[tuple[tuple[Any, ...], int, bytes, Mapping[str, int]]],
    interactions: Sequence[Interaction] = (),
) -> Batch:
    """Build a Batch from a price map and (intent tuple, scheme, signature, flow by token) rows.

    Tokens of an intent missing from a row's flow map get flow 0.
    """
    tokens, clearing = sorted_prices(prices)
    built = []
    for intent, scheme, signature, flow_by_token in executions:
        flows = {to_checksum_address(t): int(a) for t, a in flow_by_token.items()}
        intent_tokens = [to_checksum_address(t) for t in intent[1]]
        built.append(
            Execution(intent, scheme, signature, price_index(intent_tokens, tokens),
                      tuple(flows.get(t, 0) for t in intent_tokens))
        )
    return Batch(tokens, clearing, tuple(built), tuple(interactions))


class Settlement:
    """A deployed BatchSettlement on one chain. Sends from unlocked accounts or local keys."""

    def __init__(self, w3: Any, address: str) -> None:
        from contracts.artifacts import keel

        self.w3 = w3
        self.address = to_checksum_address(address)
        self.contract = w3.eth.contract(address=self.address, abi=keel("BatchSettlement").abi)

    # ---- settle ---------------------------------------------------------------------------
    def call(self, solver: str, batch: Batch, block: int | str = "latest") -> None:
        """Simulate settle() with eth_call; raise SettlementReverted with the decoded reason."""
        self._eth_call({"from": to_checksum_address(solver), "to": self.address,
                        "data": "0x" + batch.calldata().hex()}, block)

    def estimate_gas(self, solver: str, batch: Batch) -> int:
        self.call(solver, batch)
        tx = {"from": to_checksum_address(solver), "to": self.address, "data": "0x" + batch.calldata().hex()}
        return int(self.w3.eth.estimate_gas(tx))

    def send(self, solver: str, batch: Batch, gas: int = 15_000_000, private_key: str | None = None) -> Any:
        """Send settle() without a preflight; returns the receipt, whose status may be 0."""
        tx = {"from": to_checksum_address(solver), "to": self.address, "data": "0x" + batch.calldata().hex(), "gas": gas}
        return self._transact(tx, private_key)

    def settle(self, solver: str, batch: Batch, private_key: str | None = None) -> Any:
        """Simulate, then send settle(); returns the receipt or raises SettlementReverted."""
        gas = self.estimate_gas(solver, batch)
        receipt = self.send(solver, batch, gas=gas + gas // 5 + 50_000, private_key=private_key)
        if receipt["status"] != 1:
            raise SettlementReverted(revert.DecodedRevert("RevertedOnChain", {"tx": receipt["transactionHash"]}))
        return receipt

    def executed(self, receipt: Any) -> list[dict[str, Any]]:
        """The IntentExecuted events of a receipt, as plain dicts."""
        from web3.logs import DISCARD

        events = self.contract.events.IntentExecuted().process_receipt(receipt, errors=DISCARD)
        return [dict(e["args"]) for e in events]

    # ---- users, owner, views --------------------------------------------------------------
    def hash_intent(self, intent: tuple[Any, ...]) -> bytes:
        return bytes(self.contract.functions.hashIntent(intent).call())

    def domain_separator(self) -> bytes:
        return bytes(self.contract.functions.domainSeparator().call())

    def relayer(self) -> str:
        return str(self.contract.functions.relayer().call())

    def is_nonce_spent(self, owner: str, nonce: int) -> bool:
        return bool(self.contract.functions.isNonceSpent(to_checksum_address(owner), nonce).call())

    def paused(self) -> bool:
        return bool(self.contract.functions.paused().call())

    def invalidate_nonce(self, owner: str, nonce: int, private_key: str | None = None) -> Any:
        return self._function(owner, self.contract.functions.invalidateNonce(nonce), private_key, "invalidateNonce")

    def pause(self, sender: str, private_key: str | None = None) -> Any:
        return self._function(sender, self.contract.functions.pause(), private_key, "pause")

    def unpause(self, sender: str, private_key: str | None = None) -> Any:
        return self._function(sender, self.contract.functions.unpause(), private_key, "unpause")

    # ---- plumbing -------------------------------------------------------------------------
    def _function(self, sender: str, fn: Any, private_key: str | None, what: str) -> Any:
        sender = to_checksum_address(sender)
        data = fn._encode_transaction_data()
        self._eth_call({"from": sender, "to": self.address, "data": data}, "latest", what)
        return self._transact({"from": sender, "to": self.address, "data": data, "gas": 200_000}, private_key)

    def _eth_call(self, tx: dict[str, Any], block: int | str, what: str = "settle") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        answer = self.w3.provider.make_request("eth_call", [tx, tag])
        if "error" in answer:
            data = answer["error"].get("data")
            if isinstance(data, dict):  # some nodes nest it
                data = data.get("data")
            if not isinstance(data, str):
                raise ChainError(f"{what}: eth_call failed: {answer['error'].get('message')}")
            raise SettlementReverted(revert.decode(data), what)
        return bytes.fromhex(str(answer["result"]).removeprefix("0x"))

    def _transact(self, tx: dict[str, Any], private_key: str | None) -> Any:
        if private_key is None:
            tx_hash = self.w3.eth.send_transaction(tx)
        else:
            from eth_account import Account

            tx = {**tx, "nonce": self.w3.eth.get_transaction_count(tx["from"], "pending"),
                  "chainId": int(self.w3.eth.chain_id), "gasPrice": int(self.w3.eth.gas_price) * 2}
            tx_hash = self.w3.eth.send_raw_transaction(Account.sign_transaction(tx, private_key).raw_transaction)
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
