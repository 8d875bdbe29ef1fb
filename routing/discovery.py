"""Read pools from the chain into a `Liquidity` snapshot, in four batched JSON-RPC rounds.

Round 1 asks the factories for every pair and pool of the given tokens (and the tokens'
decimals and symbols); round 2 reads V2 reserves and V3 slot0/liquidity/spacing/fee;
round 3 reads the V3 tick bitmap words around the current tick; round 4 reads
`liquidityNet` for every initialized tick found. Every call is pinned to one block, so
the snapshot is consistent. Only bitmap words within `tick_window` ticks of the current
tick are read (default: all of them); the snapshot records the words read, and the swap
math refuses to step into a word it has not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from routing.errors import DiscoveryError
from routing.math.v3_swap import full_word_range
from routing.pools import Liquidity, Pool, Token, V2Pool, v3_pool

V3_FEES_AND_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
# None: every usable tick (reads are batched, and full-range positions matter); an int
# limits the read to that many ticks each side of the price, for pools with huge tables
DEFAULT_TICK_WINDOW: int | None = None
ZERO = "0x" + "00" * 20
DISCOVERY_STEPS = 5  # factories; V2 reserves; V3 states; V3 bitmaps; V3 ticks (what `progress` counts)
Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what was found so far)
BATCH_SIZE = 4000  # calls per HTTP request: anvil answers 4,000 eth_calls in one batch comfortably


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def _call(to: str, signature: str, types: Sequence[str] = (), args: Sequence[Any] = ()) -> dict[str, str]:
    data = _selector(signature) + (encode(list(types), list(args)) if types else b"")
    return {"to": to, "data": "0x" + data.hex()}


def _batch(w3: Any, calls: list[dict[str, str]], block: int, stats: dict[str, int] | None = None,
           chunk: int = BATCH_SIZE) -> list[bytes]:
    """eth_call every call at `block` in JSON-RPC batches; one error line if any call fails."""
    out: list[bytes] = []
    for start in range(0, len(calls), chunk):
        part = calls[start : start + chunk]
        if stats is not None:
            stats["requests"] = stats.get("requests", 0) + 1
            stats["calls"] = stats.get("calls", 0) + len(part)
        responses = w3.provider.make_batch_request([("eth_call", [c, hex(block)]) for c in part])
        if not isinstance(responses, list):
            raise DiscoveryError(f"the node refused a batch request: {responses.get('error')}")
        for call, resp in zip(part, responses, strict=True):
            if "error" in resp:
                raise DiscoveryError(f"eth_call to {call['to']} failed: {resp['error'].get('message')}")
            out.append(bytes.fromhex(str(resp["result"])[2:]))
    return out


def discover(
    w3: Any,
    tokens: Sequence[str],
    v2_factory: str | None,
    v3_factory: str | None,
    native: str | None = None,
    fees: Sequence[int] = tuple(V3_FEES_AND_SPACING),
    tick_window: int | None = DEFAULT_TICK_WINDOW,
    block: int | None = None,
    stats: dict[str, int] | None = None,
    progress: Progress | None = None,
) -> Liquidity:
    """Every V2 pair and V3 pool among `tokens` with non-zero liquidity, at `block` (default latest).

    `stats`, if given, receives the number of HTTP requests and of eth_calls made. `progress`,
    if given, is called after each of the `DISCOVERY_STEPS` batched reads with (steps done,
    steps in all, what was found so far)."""
    step = progress or (lambda _done, _total, _what: None)
    addrs = [to_checksum_address(t) for t in tokens]
    block = int(w3.eth.block_number) if block is None else block
    pairs = list(combinations(addrs, 2))
    calls: list[dict[str, str]] = []
    for t in addrs:
        calls += [_call(t, "decimals()"), _call(t, "symbol()")]
    if v2_factory:
        calls += [_call(v2_factory, "getPair(address,address)", ["address", "address"], p) for p in pairs]
    if v3_factory:
        calls += [_call(v3_factory, "getPool(address,address,uint24)", ["address", "address", "uint24"], [a, b, f])
                  for a, b in pairs for f in fees]
    raw = _batch(w3, calls, block, stats)
    token_info: dict[str, Token] = {}
    for i, t in enumerate(addrs):
        decimals = decode(["uint8"], raw[2 * i])[0]
        try:
            symbol = decode(["string"], raw[2 * i + 1])[0]
        except Exception:  # some tokens (MKR) return bytes32 symbols
            symbol = raw[2 * i + 1][:32].rstrip(b"\0").decode(errors="replace")
        token_info[t] = Token(t, symbol, int(decimals))
    cursor = 2 * len(addrs)
    v2_addrs: list[str] = []
    if v2_factory:
        for r in raw[cursor : cursor + len(pairs)]:
            a = to_checksum_address(decode(["address"], r)[0])
            if a != to_checksum_address(ZERO):
                v2_addrs.append(a)
        cursor += len(pairs)
    v3_addrs: list[str] = []
    if v3_factory:
        for r in raw[cursor:]:
            addr = to_checksum_address(decode(["address"], r)[0])
            if addr != to_checksum_address(ZERO):
                v3_addrs.append(addr)
    found = f"{len(v2_addrs) + len(v3_addrs)} pools found ({len(v2_addrs)} V2, {len(v3_addrs)} V3)"
    step(1, DISCOVERY_STEPS, found)
    v2_pools = _read_v2(w3, v2_addrs, block, stats)
    step(2, DISCOVERY_STEPS, f"{found}; V2 reserves read")
    v3_pools = _read_v3(w3, v3_addrs, block, tick_window, stats,
                        lambda done, what: step(2 + done, DISCOVERY_STEPS, f"{found}; V3 {what}"))
    pools: list[Pool] = v2_pools + v3_pools
    # the native token prices gas only if it is one of the snapshot's tokens (a snapshot
    # without it values gas at nothing inside the router; the auction's score still charges it)
    native = to_checksum_address(native) if native else None
    return Liquidity(token_info, tuple(pools), block, native if native in token_info else None,
                     f"chain at block {block}")


def _read_v2(w3: Any, pairs: list[str], block: int, stats: dict[str, int] | None) -> list[Pool]:
    calls = []
    for p in pairs:
        calls += [_call(p, "token0()"), _call(p, "token1()"), _call(p, "getReserves()")]
    raw = _batch(w3, calls, block, stats)
    pools: list[Pool] = []
    for i, p in enumerate(pairs):
        t0 = to_checksum_address(decode(["address"], raw[3 * i])[0])
        t1 = to_checksum_address(decode(["address"], raw[3 * i + 1])[0])
        r0, r1, _ts = decode(["uint112", "uint112", "uint32"], raw[3 * i + 2])
        if r0 > 0 and r1 > 0:
            pools.append(V2Pool(p, t0, t1, int(r0), int(r1)))
    return pools


def _read_v3(w3: Any, addresses: list[str], block: int, tick_window: int | None,
             stats: dict[str, int] | None, step: Callable[[int, str], None] = lambda _d, _w: None) -> list[Pool]:
    calls = []
    for p in addresses:
        calls += [_call(p, "token0()"), _call(p, "token1()"), _call(p, "fee()"), _call(p, "tickSpacing()"),
                  _call(p, "slot0()"), _call(p, "liquidity()")]
    raw = _batch(w3, calls, block, stats)
    heads: list[dict[str, Any]] = []
    for i, p in enumerate(addresses):
        r = raw[6 * i : 6 * i + 6]
        sqrt_p, tick = decode(["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"], r[4])[:2]
        if sqrt_p == 0:
            continue  # created but never initialised
        spacing = int(decode(["int24"], r[3])[0])
        compressed = tick // spacing
        span = None if tick_window is None else tick_window // spacing + 1
        heads.append({
            "address": p,
            "token0": to_checksum_address(decode(["address"], r[0])[0]),
            "token1": to_checksum_address(decode(["address"], r[1])[0]),
            "fee": int(decode(["uint24"], r[2])[0]),
            "spacing": spacing, "sqrt_p": int(sqrt_p), "tick": int(tick),
            "liquidity": int(decode(["uint128"], r[5])[0]),
            "words": _words(compressed, span, spacing),
        })
    step(1, "pool states read")
    # round 3: bitmap words around each pool's price
    word_calls, word_index = [], []
    for h in heads:
        lo, hi = h["words"]
        for w in range(lo, hi + 1):
            word_calls.append(_call(h["address"], "tickBitmap(int16)", ["int16"], [w]))
            word_index.append((h, w))
    words_raw = _batch(w3, word_calls, block, stats)
    initialized: dict[str, list[int]] = {h["address"]: [] for h in heads}
    for (h, w), word in zip(word_index, words_raw, strict=True):
        bits = int.from_bytes(word, "big")
        while bits:
            low = bits & -bits
            initialized[h["address"]].append(((w << 8) + low.bit_length() - 1) * h["spacing"])
            bits ^= low
    step(2, "tick bitmaps read")
    # round 4: liquidityNet of every initialized tick
    tick_calls, tick_index = [], []
    for h in heads:
        for t in initialized[h["address"]]:
            tick_calls.append(_call(h["address"], "ticks(int24)", ["int24"], [t]))
            tick_index.append((h["address"], t))
    ticks_raw = _batch(w3, tick_calls, block, stats)
    step(3, f"{len(tick_calls)} initialized ticks read")
    nets: dict[str, list[tuple[int, int]]] = {h["address"]: [] for h in heads}
    for (addr, t), tick_raw in zip(tick_index, ticks_raw, strict=True):
        nets[addr].append((t, int(decode(["uint128", "int128"], tick_raw[:64])[1])))
    pools: list[Pool] = []
    for h in heads:
        if h["liquidity"] == 0 and not nets[h["address"]]:
            continue
        pools.append(v3_pool(h["address"], h["token0"], h["token1"], h["fee"], h["spacing"], h["sqrt_p"], h["tick"],
                             h["liquidity"], nets[h["address"]], h["words"]))
    return pools


def _words(compressed: int, span: int | None, spacing: int) -> tuple[int, int]:
    lo, hi = full_word_range(spacing)
    if span is None:
        return lo, hi
    return max(lo, (compressed - span) >> 8), min(hi, (compressed + span) >> 8)

