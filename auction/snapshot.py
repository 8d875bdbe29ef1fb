"""Build an `Auction` from the chain and the open intents, all read at one block.

Reads (JSON-RPC batches of eth_call at `block`): each feed token's decimals and oracle
answer, and each intent owner's balance of each of its intent's tokens. Reference prices
come from Chainlink-style feeds (USD × 1e8 per whole token): a token with `d` decimals
gets `answer * 10**(36 - 8 - d)`, USD per base unit × 1e36 (`solver.domain.PRICE_SCALE`),
exact for every d ≤ 28. The liquidity is `routing.discovery.discover` over the same
tokens at the same block, so solvers route over exactly the state simulation will use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from intents.model import SignedIntent
from keel.errors import ChainError
from routing.pools import Liquidity
from solver.domain import Auction, BatchIntent, Token

if TYPE_CHECKING:
    from web3 import Web3

FEED_DECIMALS = 8


@dataclass(frozen=True)
class WorldView:
    """What the auctioneer needs to know about a chain: its id, the settlement, tokens and feeds, factories."""

    chain_id: int
    settlement: str
    tokens: dict[str, str]  # symbol -> address (tokens with a feed)
    feeds: dict[str, str]  # symbol -> feed address
    v2_factory: str | None = None
    v3_factory: str | None = None
    relayer: str | None = None

    @classmethod
    def from_addresses(cls, chain_id: int, addresses: dict[str, str]) -> WorldView:
        feeds = {k.removeprefix("feed:"): v for k, v in addresses.items() if k.startswith("feed:")}
        tokens = {s: str(to_checksum_address(addresses[s])) for s in feeds if s in addresses}
        return cls(chain_id, str(to_checksum_address(addresses["BatchSettlement"])), tokens,
                   {s: str(to_checksum_address(feeds[s])) for s in tokens}, addresses.get("UniswapV2Factory"),
                   addresses.get("UniswapV3Factory"), addresses.get("Relayer"))


def _calldata(signature: str, types: Sequence[str] = (), args: Sequence[Any] = ()) -> str:
    return "0x" + (keccak(text=signature)[:4] + (encode(list(types), list(args)) if types else b"")).hex()


def batch_call(w3: Web3, calls: list[tuple[str, str]], block: int, chunk: int = 500) -> list[bytes]:
    """eth_call each (to, data) at `block`, in JSON-RPC batches; ChainError naming the first failure."""
    out: list[bytes] = []
    for start in range(0, len(calls), chunk):
        part = calls[start:start + chunk]
        try:
            answers = cast(Any, w3.provider).make_batch_request([("eth_call", [{"to": to, "data": data}, hex(block)])
                                                      for to, data in part])
        except Exception as exc:  # a dead RPC: the round cannot start
            raise ChainError(f"snapshot: the chain did not answer ({type(exc).__name__}: {exc})") from None
        if not isinstance(answers, list):
            raise ChainError(f"snapshot: the node refused a batch request: {answers.get('error')}")
        for (to, _data), answer in zip(part, answers, strict=True):
            if "error" in answer:
                raise ChainError(f"snapshot: eth_call to {to} failed: {answer['error'].get('message')}")
            out.append(bytes.fromhex(str(answer["result"]).removeprefix("0x")))
    return out


def reference_price(answer_8: int, decimals: int) -> int:
    """USD per base unit × 1e36 from a feed answer (USD × 1e8 per whole token)."""
    shift = 36 - FEED_DECIMALS - decimals
    scale = int(10 ** abs(shift))
    return answer_8 * scale if shift >= 0 else answer_8 // scale


def read_tokens(w3: Web3, view: WorldView, block: int, now_s: int | None = None) -> tuple[dict[str, Token], dict[str, str]]:
    """Priced tokens at `block`, and why any token is unpriced (a dead feed, or one the
    stale-oracle breaker trips on: older than its heartbeat at `now_s`, the block's time)."""
    from contracts.mainnet import FEED_HEARTBEAT_S
    from risk.breakers import Limits, Reading, State, check

    symbols = sorted(view.tokens)
    calls: list[tuple[str, str]] = []
    for s in symbols:
        calls += [(view.tokens[s], _calldata("decimals()")), (view.feeds[s], _calldata("latestRoundData()"))]
    raw = batch_call(w3, calls, block)
    tokens, unpriced = {}, {}
    for i, s in enumerate(symbols):
        decimals = int(decode(["uint8"], raw[2 * i])[0])
        _, answer, _, updated_at, _ = decode(["uint80", "int256", "uint256", "uint256", "uint80"], raw[2 * i + 1])
        address = view.tokens[s]
        if answer <= 0:
            unpriced[address] = f"the {s} feed answers {answer}"  # a dead feed: intents on it wait
            continue
        if now_s is not None:
            limits = Limits(max_oracle_age_s=FEED_HEARTBEAT_S.get(s, 3600))
            verdict = check(limits, State(), Reading(now_s=now_s, oracle_updated_s=int(updated_at)))
            if not verdict.ok:
                unpriced[address] = f"{s} oracle breaker: " + "; ".join(verdict.reasons())
                continue
        tokens[address] = Token(address, s, decimals, reference_price(int(answer), decimals))
    return tokens, unpriced


def read_balances(w3: Web3, intents: Sequence[SignedIntent], tokens: dict[str, Token], block: int) -> dict[str, dict[str, int]]:
    # every priced token, not only the intent's: strategies value whole portfolios
    wanted = sorted({(s.intent.owner, t) for s in intents for t in tokens})
    raw = batch_call(w3, [(t, _calldata("balanceOf(address)", ["address"], [o])) for o, t in wanted], block)
    balances: dict[str, dict[str, int]] = {}
    for (owner, token), word in zip(wanted, raw, strict=True):
        balances.setdefault(owner, {})[token] = int(decode(["uint256"], word)[0])
    return balances


def read_liquidity(w3: Web3, view: WorldView, tokens: dict[str, Token], block: int) -> Liquidity:
    from routing.discovery import discover

    if not (view.v2_factory or view.v3_factory):
        return Liquidity({}, (), block)
    weth = view.tokens.get("WETH")
    return discover(w3, list(tokens), view.v2_factory, view.v3_factory, native=weth, block=block)


def take(w3: Web3, view: WorldView, intents: Sequence[tuple[str, SignedIntent]], auction_id: int, deadline_ms: int,
         block: int | None = None) -> tuple[Auction, dict[str, str]]:
    """The auction at `block` (default latest) and, by intent id, why any intent was left out of it."""
    block = int(w3.eth.block_number) if block is None else block
    timestamp = int(w3.eth.get_block(block)["timestamp"])
    tokens, unpriced_why = read_tokens(w3, view, block, timestamp)
    left_out: dict[str, str] = {}
    chosen: list[BatchIntent] = []
    for intent_id, signed in intents:
        unpriced = [t for t in signed.intent.tokens if t not in tokens]
        if unpriced:
            left_out[intent_id] = "no reference price: " + "; ".join(unpriced_why.get(t, t) for t in unpriced)
        elif signed.intent.valid_to < timestamp:
            left_out[intent_id] = f"expired at {signed.intent.valid_to} (block time {timestamp})"
        else:
            chosen.append(BatchIntent(intent_id, signed))
    balances = read_balances(w3, [bi.signed for bi in chosen], tokens, block)
    liquidity = read_liquidity(w3, view, tokens, block)
    auction = Auction(auction_id, view.chain_id, view.settlement, block, deadline_ms, tokens, tuple(chosen), balances,
                      liquidity, int(w3.eth.gas_price))
    return auction, left_out
