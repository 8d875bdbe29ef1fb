"""Python binding of BatchSettlement: ABI shapes, `settle` transactions, decoded refusals.

The wire shapes mirror docs/interfaces.md: an `Execution` carries the intent as its ABI
tuple (`intents.model.Intent.as_tuple()`; this layer sits below `intents` and does not
import it), a signing scheme, the signature, each intent token's index in the batch's
sorted `tokens`, and signed flows in base units (< 0 pulled from the owner, > 0 paid).
`encode_execution` turns one into the compact bytes `settle` takes (ExecutionCodec.sol):
the intent's tokens travel as one-byte indices into the batch's tokens, every uint256 as a
length byte plus its significant bytes (2**256 - 1 as the single byte 0xff), flows as
sign-and-magnitude; the contract re-hashes the same EIP-712 intent from it. Every revert
surfaces as `SettlementReverted` carrying the decoded custom error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from contracts import revert
from contracts.interaction import INTERACTION_ABI_TYPE, Interaction
from contracts.revert import SettlementReverted
from keel.errors import ChainError, UsageError

SETTLE_ARG_TYPES = ("address[]", "uint256[]", "bytes[]", f"{INTERACTION_ABI_TYPE}[]", "address[]")
ZERO_ADDRESS = "0x" + "00" * 20
SETTLE_SIGNATURE = f"settle({','.join(SETTLE_ARG_TYPES)})"
SETTLE_SELECTOR = keccak(text=SETTLE_SIGNATURE)[:4]

SCHEME_EIP712 = 0
SCHEME_EIP1271 = 1
KIND_WEIGHTS = 0
UINT256_MAX = 2**256 - 1
MAX_INTENT_TOKENS = 255  # n and each token index are one byte


@dataclass(frozen=True)
class Execution:
    """One signed intent as executed in a batch; `intent` is the Intent's ABI tuple.

    `max_oracle_deviation_bps`, when set, marks an oracle-guarded intent: one signed under
    the `Intent` type with that field appended (docs/interfaces.md), whose clearing prices
    the contract checks against its owner-set feeds. `intents.model` does not carry the field
    yet; until it does, nothing outside tests sets it.
    """

    intent: tuple[Any, ...]
    signing_scheme: int
    signature: bytes
    price_index: tuple[int, ...]
    flows: tuple[int, ...]
    max_oracle_deviation_bps: int | None = None

    @property
    def owner(self) -> str:
        return str(self.intent[0])


def _uint(value: int, field: str) -> bytes:
    """One unsigned field: 0xff for 2**256 - 1, else a length byte and the big-endian bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise UsageError(f"{field}: {value!r} is not a uint256")
    if value == UINT256_MAX:
        return b"\xff"
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(raw)]) + raw


def _flow(value: int, field: str) -> bytes:
    """One signed flow: bit 7 of the length byte is the sign, then the magnitude's bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**255) <= value < 2**255:
        raise UsageError(f"{field}: {value!r} is not an int256")
    magnitude = abs(value)
    raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
    return bytes([(0x80 if value < 0 else 0) | len(raw)]) + raw


def encode_execution(execution: Execution) -> bytes:
    """The compact bytes of one execution (ExecutionCodec.sol, docs/interfaces.md).

    UsageError, naming the field, for what the encoding cannot carry: more than 255
    tokens, array lengths that differ from the token count, a kind or scheme above 15.
    """
    (owner, tokens, min_price, max_price, kind, weights, tolerance, min_balance, max_balance, max_fee, valid_to,
     nonce) = execution.intent
    n = len(tokens)
    if not 2 <= n <= MAX_INTENT_TOKENS:
        raise UsageError(f"tokens: an executed intent has 2..{MAX_INTENT_TOKENS} tokens, this one {n}")
    outcome = {"targetWeightBps": weights} if kind == KIND_WEIGHTS else {"minBalance": min_balance, "maxBalance": max_balance}
    unused = {"minBalance": min_balance, "maxBalance": max_balance} if kind == KIND_WEIGHTS else {"targetWeightBps": weights}
    arrays = {"minPrice": min_price, "maxPrice": max_price, "priceIndex": execution.price_index,
              "flows": execution.flows, **outcome}
    for name, values in arrays.items():
        if len(values) != n:
            raise UsageError(f"{name}: has {len(values)} entries, tokens has {n}")
    for name, values in unused.items():
        if len(values):
            raise UsageError(f"{name}: must be empty for this intent kind")
    for name, value, bits in (("kind", kind, 3), ("signingScheme", execution.signing_scheme, 4)):
        if not 0 <= int(value) < 2**bits:
            raise UsageError(f"{name}: {value} does not fit the execution's {bits}-bit field")
    guarded = execution.max_oracle_deviation_bps is not None
    out = bytearray(bytes.fromhex(to_checksum_address(owner)[2:]))
    out += bytes([int(kind) | (0x08 if guarded else 0) | int(execution.signing_scheme) << 4, n])
    for name, value in (("validTo", valid_to), ("nonce", nonce), ("maxFeeBps", max_fee), ("toleranceBps", tolerance)):
        out += _uint(value, name)
    if execution.max_oracle_deviation_bps is not None:
        out += _uint(execution.max_oracle_deviation_bps, "maxOracleDeviationBps")
    for j in range(n):
        index = execution.price_index[j]
        if not 0 <= index <= 255:
            raise UsageError(f"priceIndex[{j}]: {index} does not fit one byte (at most 256 batch tokens)")
        out.append(index)
        out += _uint(min_price[j], f"minPrice[{j}]") + _uint(max_price[j], f"maxPrice[{j}]")
        for name, values in outcome.items():
            out += _uint(values[j], f"{name}[{j}]")
        out += _flow(execution.flows[j], f"flows[{j}]")
    return bytes(out + execution.signature)


@dataclass(frozen=True)
class Batch:
    """settle()'s five arguments. `tokens` strictly ascending; one price per token.

    `sinks` is empty (every token's surplus sells go to the settlement, or without
    interactions to the fee recipient) or one address per token: the zero address for the
    settlement, else an owner-listed pool the interactions swap in; naming sinks also tells
    the contract that pools pay users directly (docs/interfaces.md, "Order of effects").
    `encoded`, when given, replaces the executions' compact encodings byte for byte (tests
    of malformed encodings use it); `executions` then only names the owners involved.
    """

    tokens: tuple[str, ...]
    clearing_prices: tuple[int, ...]
    executions: tuple[Execution, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    encoded: tuple[bytes, ...] | None = None
    sinks: tuple[str, ...] = ()

    def args(self) -> tuple[Any, ...]:
        blobs = list(self.encoded) if self.encoded is not None else [encode_execution(e) for e in self.executions]
        return (
            [to_checksum_address(t) for t in self.tokens],
            [int(p) for p in self.clearing_prices],
            blobs,
            [i.as_tuple() for i in self.interactions],
            [to_checksum_address(a) for a in self.sinks],
        )

    def calldata(self) -> bytes:
        """The exact calldata of `settle(...)` for this batch."""
        return SETTLE_SELECTOR + abi_encode(list(SETTLE_ARG_TYPES), list(self.args()))


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
    sinks: Mapping[str, str] | None = None,
) -> Batch:
    """Build a Batch from a price map and (intent tuple, scheme, signature, flow by token) rows.

    Tokens of an intent missing from a row's flow map get flow 0. `sinks` maps a token to
    the pool its surplus sells go to (the others get the zero address: the settlement).
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
    named: dict[str, str] = {to_checksum_address(t): to_checksum_address(a) for t, a in (sinks or {}).items()}
    for token in named:
        if token not in tokens:
            raise UsageError(f"sinks[{token}]: has no clearing price in this batch")
    sink_list = tuple(named.get(t, ZERO_ADDRESS) for t in tokens) if named else ()
    return Batch(tokens, clearing, tuple(built), tuple(interactions), sinks=sink_list)


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
        """Every intent a settle receipt executed, in execution order, as plain dicts
        `{execution, intentId, owner, nonce, given, received}`: the ids from this contract's
        `BatchSettled` event, the rest decoded from the transaction's calldata
        (`contracts.fills`). Empty for a receipt without that event."""
        from web3.logs import DISCARD

        from contracts import fills

        events = [e for e in self.contract.events.BatchSettled().process_receipt(receipt, errors=DISCARD)
                  if to_checksum_address(e["address"]) == self.address]
        if not events:
            return []
        ids = [bytes(i) for e in events for i in e["args"]["intentIds"]]
        tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        return fills.fills(ids, tx, self.address, SETTLE_SELECTOR, SETTLE_ARG_TYPES)

    # ---- users, owner, views --------------------------------------------------------------
    def hash_intent(self, intent: tuple[Any, ...]) -> bytes:
        return bytes(self.contract.functions.hashIntent(intent).call())

    def hash_guarded_intent(self, intent: tuple[Any, ...], max_oracle_deviation_bps: int) -> bytes:
        return bytes(self.contract.functions.hashGuardedIntent(intent, max_oracle_deviation_bps).call())

    def set_price_feed(self, sender: str, token: str, feed: str, heartbeat_s: int, token_decimals: int,
                       private_key: str | None = None) -> Any:
        fn = self.contract.functions.setPriceFeed(to_checksum_address(token), to_checksum_address(feed), heartbeat_s,
                                                  token_decimals)
        return self._function(sender, fn, private_key, "setPriceFeed")

    def domain_separator(self) -> bytes:
        return bytes(self.contract.functions.domainSeparator().call())

    def relayer(self) -> str:
        return str(self.contract.functions.relayer().call())

    def is_nonce_spent(self, owner: str, nonce: int) -> bool:
        return bool(self.contract.functions.isNonceSpent(to_checksum_address(owner), nonce).call())

    def paused(self) -> bool:
        return bool(self.contract.functions.paused().call())

    def fee_recipient(self) -> str:
        return str(self.contract.functions.feeRecipient().call())

    def is_interaction_target(self, target: str) -> bool:
        return bool(self.contract.functions.isInteractionTarget(to_checksum_address(target)).call())

    def guarded_tokens(self) -> list[str]:
        return [str(t) for t in self.contract.functions.guardedTokens().call()]

    def interaction_targets(self) -> list[str]:
        return [str(t) for t in self.contract.functions.interactionTargets().call()]

    def set_interaction_target(self, sender: str, target: str, allowed: bool, private_key: str | None = None) -> Any:
        fn = self.contract.functions.setInteractionTarget(to_checksum_address(target), allowed)
        return self._function(sender, fn, private_key, "setInteractionTarget")

    def set_pool_target(self, sender: str, factory: str, init_code_hash: bytes, token_a: str, token_b: str,
                        allowed: bool, private_key: str | None = None) -> Any:
        """List (or unlist) `factory`'s pair of the two tokens as a pool target (the contract
        derives the pair's CREATE2 address from `init_code_hash`)."""
        fn = self.contract.functions.setPoolTarget(to_checksum_address(factory), init_code_hash,
                                                   to_checksum_address(token_a), to_checksum_address(token_b), allowed)
        return self._function(sender, fn, private_key, "setPoolTarget")

    def is_pool_target(self, target: str) -> bool:
        return bool(self.contract.functions.isPoolTarget(to_checksum_address(target)).call())

    def set_allowance(self, sender: str, token: str, spender: str, amount: int, private_key: str | None = None) -> Any:
        fn = self.contract.functions.setAllowance(to_checksum_address(token), to_checksum_address(spender), amount)
        return self._function(sender, fn, private_key, "setAllowance")

    def set_fee_recipient(self, sender: str, recipient: str, private_key: str | None = None) -> Any:
        fn = self.contract.functions.setFeeRecipient(to_checksum_address(recipient))
        return self._function(sender, fn, private_key, "setFeeRecipient")

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
        # a configuration edit writes a new data contract (InteractionConfig): ~100-400k gas
        receipt = self._transact({"from": sender, "to": self.address, "data": data, "gas": 1_000_000}, private_key)
        if receipt["status"] != 1:
            raise ChainError(f"{what}: the transaction failed although its eth_call passed (out of gas?)")
        return receipt

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
