"""Build an `Auction` from the chain and the open intents, all read at one block.

Reads (JSON-RPC batches of eth_call at `block`): each fed token's decimals and oracle
round (`contracts.feeds`), and each intent owner's balance of each priced token. Reference
prices are `keel.units.UsdPrice`s from the feed answers (exact for every d ≤ 28). The
liquidity is `routing.discovery.discover` over the same tokens at the same block, so
solvers route over exactly the state simulation will use. Each discovered V3 pool's TWAP
over `contracts.twap.TWAP_WINDOW_S` before the block (`observe()`) rides along, so the
solver's pool-deviation breaker compares a pool's price now with both the feed and the
pool's own recent past; a pool whose history is shorter than the window carries no TWAP
and says why (the feed alone is its reference).

A token whose feed is dead, or older than its heartbeat at the block's time (the
stale-oracle breaker), is left out, and so are the intents on it. Gas is another matter:
the auction prices it through the native token's own feed (`Deployment.native_feed`),
read apart from the tradable tokens, at its latest answer even when that answer is stale
— a stale WETH feed keeps WETH intents out, and gas is still charged. A native feed that
answers no positive price refuses the round (`NoNativePrice`): gas is never valued at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from eth_abi import decode, encode
from eth_utils import keccak

from contracts.deployment import Deployment
from contracts.feeds import LATEST_ROUND_DATA, decode_round
from intents.model import SignedIntent
from keel.errors import ChainError, RefusedError
from keel.units import NATIVE_DECIMALS, UsdPrice, usd_price_from_feed
from routing.pools import Liquidity, V3Pool
from solver.domain import Auction, BatchIntent, PoolTwap, Token

if TYPE_CHECKING:
    from web3 import Web3


class NoNativePrice(RefusedError):
    """The native token's feed gives no price, so gas cannot be valued: the round does not start."""


@dataclass(frozen=True)
class WorldView:
    """What the auctioneer knows about a chain: its id and its deployment (tokens, feeds,
    factories, keel's contracts)."""

    chain_id: int
    deployment: Deployment

    @property
    def settlement(self) -> str:
        return self.deployment.settlement

    @property
    def relayer(self) -> str:
        return self.deployment.relayer


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


def read_tokens(w3: Web3, view: WorldView, block: int, now_s: int | None = None
                ) -> tuple[dict[str, Token], dict[str, str], UsdPrice]:
    """Priced tokens at `block`, why any token is unpriced (a dead feed, or one the
    stale-oracle breaker trips on: older than its heartbeat at `now_s`, the block's time),
    and the native token's price per wei (NoNativePrice if its feed has none)."""
    from risk.breakers import Limits, Reading, State, check

    d = view.deployment
    native_feed = d.native_feed
    symbols = list(d.priced())
    calls: list[tuple[str, str]] = []
    for s in symbols:
        calls += [(d.token(s).address, _calldata("decimals()")), (d.feed(s).address, LATEST_ROUND_DATA)]
    raw = batch_call(w3, calls, block)
    tokens, unpriced = {}, {}
    native: UsdPrice | None = None
    for i, s in enumerate(symbols):
        decimals = int(decode(["uint8"], raw[2 * i])[0])
        feed = d.feed(s)
        round_ = decode_round(raw[2 * i + 1])
        address = d.token(s).address
        if feed == native_feed and round_.alive:
            native = usd_price_from_feed(round_.answer, NATIVE_DECIMALS)
        if not round_.alive:
            unpriced[address] = f"the {s} feed answers {round_.answer}"  # a dead feed: intents on it wait
            continue
        if now_s is not None:
            limits = Limits(max_oracle_age_s=feed.heartbeat_s)
            verdict = check(limits, State(), Reading(now_s=now_s, oracle_updated_s=round_.updated_at_s))
            if not verdict.ok:
                unpriced[address] = f"{s} oracle breaker: " + "; ".join(verdict.reasons())
                continue
        tokens[address] = Token(address, s, decimals, round_.usd_price(decimals))
    if native is None:
        raise NoNativePrice(f"gas: the native token's feed ({d.native} / USD at {native_feed.address}) gives no "
                            "price at this block, so gas cannot be valued; the round waits for the feed")
    return tokens, unpriced, native


def read_balances(w3: Web3, intents: Sequence[SignedIntent], tokens: dict[str, Token], block: int) -> dict[str, dict[str, int]]:
    # every priced token, not only the intent's: strategies value whole portfolios
    return _balances(w3, sorted({(s.intent.owner, t) for s in intents for t in tokens}), block)


def read_holdings(w3: Web3, intents: Sequence[SignedIntent], block: int) -> dict[str, dict[str, int]]:
    """owner -> token -> balance at `block`, for each intent's own tokens (priced or not)."""
    return _balances(w3, sorted({(s.intent.owner, t) for s in intents for t in s.intent.tokens}), block)


def _balances(w3: Web3, wanted: list[tuple[str, str]], block: int) -> dict[str, dict[str, int]]:
    raw = batch_call(w3, [(t, _calldata("balanceOf(address)", ["address"], [o])) for o, t in wanted], block)
    balances: dict[str, dict[str, int]] = {}
    for (owner, token), word in zip(wanted, raw, strict=True):
        balances.setdefault(owner, {})[token] = int(decode(["uint256"], word)[0])
    return balances


def read_allowances(w3: Web3, intents: Sequence[SignedIntent], relayer: str, block: int) -> dict[tuple[str, str], int]:
    """(owner, token) -> the owner's allowance to the relayer, for every token of every intent."""
    wanted = sorted({(s.intent.owner, t) for s in intents for t in s.intent.tokens})
    raw = batch_call(w3, [(t, _calldata("allowance(address,address)", ["address", "address"], [o, relayer]))
                          for o, t in wanted], block)
    return {pair: int(decode(["uint256"], word)[0]) for pair, word in zip(wanted, raw, strict=True)}


def short_allowance(signed: SignedIntent, balances: dict[str, dict[str, int]], allowances: dict[tuple[str, str], int],
                    tokens: dict[str, Token]) -> str | None:
    """Why the relayer could not pull what the owner holds of an intent token (the orderbook's own
    admission rule), or None. Such an intent would make every batch it joins revert at settlement."""
    owner = signed.intent.owner
    for token in signed.intent.tokens:
        held, allowed = balances.get(owner, {}).get(token, 0), allowances.get((owner, token), 0)
        if held > allowed:
            t = tokens[token]
            return (f"allowance: the owner approved {allowed / 10**t.decimals:,.6g} of its {held / 10**t.decimals:,.6g} "
                    f"{t.symbol} to the relayer; it waits until `keel approve {t.symbol}`")
    return None


def read_liquidity(w3: Web3, view: WorldView, tokens: dict[str, Token], block: int) -> Liquidity:
    from routing.discovery import discover

    u, native = view.deployment.uniswap, view.deployment.native_token.address
    if not (u.v2_factory or u.v3_factory):
        return Liquidity({}, (), block)
    return discover(w3, list(tokens), u.v2_factory, u.v3_factory, native=native, block=block)


def read_twaps(w3: Web3, liquidity: Liquidity, block: int, window_s: int | None = None) -> dict[str, PoolTwap]:
    """Each V3 pool's TWAP over `window_s` (default `TWAP_WINDOW_S`) before `block`, or why it has none."""
    from contracts.twap import TWAP_WINDOW_S, observe_pools
    from routing.errors import PoolMathError
    from routing.math.twap import mean_tick

    window = TWAP_WINDOW_S if window_s is None else window_s
    pools = [p.address for p in liquidity.pools if isinstance(p, V3Pool)]
    out: dict[str, PoolTwap] = {}
    for address, seen in observe_pools(w3, pools, block, window).items():
        if seen.tick_cumulatives is None:
            out[address] = PoolTwap(window, None, seen.why_not)
            continue
        try:
            out[address] = PoolTwap(window, mean_tick(*seen.tick_cumulatives, window))
        except PoolMathError as exc:
            out[address] = PoolTwap(window, None, exc.detail)
    return out


def read_pool_targets(w3: Web3, settlement: str, liquidity: Liquidity, block: int) -> frozenset[str]:
    """The auction's V2 pairs that the settlement lists as pool targets at `block` (`isPoolTarget`):
    the pairs a solution may pay up front and call directly (`solver.closing`)."""
    pairs = [p.address for p in liquidity.pools if p.kind == "v2"]
    answers = batch_call(w3, [(settlement, _calldata("isPoolTarget(address)", ["address"], [p])) for p in pairs], block)
    return frozenset(p for p, answer in zip(pairs, answers, strict=True) if int.from_bytes(answer[-32:], "big"))


def take(w3: Web3, view: WorldView, intents: Sequence[tuple[str, SignedIntent]], auction_id: int, deadline_ms: int,
         block: int | None = None) -> tuple[Auction, dict[str, str]]:
    """The auction at `block` (default latest) and, by intent id, why any intent was left out of it."""
    block = int(w3.eth.block_number) if block is None else block
    timestamp = int(w3.eth.get_block(block)["timestamp"])
    tokens, unpriced_why, native_price = read_tokens(w3, view, block, timestamp)
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
    allowances = read_allowances(w3, [bi.signed for bi in chosen], view.deployment.relayer, block)
    approved = []
    for bi in chosen:  # one owner's revoked approval must not make everyone's batch revert
        why = short_allowance(bi.signed, balances, allowances, tokens)
        if why is None:
            approved.append(bi)
        else:
            left_out[bi.id] = why
    chosen = approved
    liquidity = read_liquidity(w3, view, tokens, block)
    auction = Auction(auction_id, view.chain_id, view.settlement, block, deadline_ms, tokens, tuple(chosen), balances,
                      liquidity, int(w3.eth.gas_price), native_price, read_twaps(w3, liquidity, block),
                      read_pool_targets(w3, view.settlement, liquidity, block))
    return auction, left_out
