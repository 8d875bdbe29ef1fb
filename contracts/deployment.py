"""One chain's addresses, typed: tokens, oracle feeds, Uniswap pairs and pools, routers, keel's contracts.

Pure data and its loader (no web3, no I/O). Every module that needs an address asks a
`Deployment` — `d.token("WETH").address`, `d.feed("WETH").address`, `d.v2_pair("USDC", "WETH")`,
`d.v3_pool("USDC", "WETH", 500)`, `d.settlement` — never a string-keyed map. Pairs and pools
are keyed by `Pair` (two token symbols in pool order: token0 has the lower address) and
`PoolKey` (a pair and a fee in pips), built by `d.pair(a, b)` from symbols in either order.

`native` names the wrapped native token (WETH): its feed prices gas. A chain whose native
token has no feed cannot value gas, and says so (`native_feed`).

The one serialised form is `to_json()` (world.json, the external fork's record,
`keel chain world --json`); `from_json` is the only code that parses it. It refuses a
missing or unknown key, a malformed address and a pool whose tokens it does not know,
each as one `DeploymentError` naming the path of the offending key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_utils import is_address, to_checksum_address

from keel.errors import SetupError, UsageError


class DeploymentError(UsageError):
    """A deployment record (world.json, a --deployment file) that cannot be read."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownName(UsageError):
    """A token, feed, pair or pool this deployment does not have."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotDeployed(SetupError):
    """keel's own contracts are not on this chain."""


@dataclass(frozen=True)
class Token:
    symbol: str
    address: str
    decimals: int


@dataclass(frozen=True)
class Feed:
    """A Chainlink-style USD feed (8 decimals) for the token `symbol`."""

    symbol: str
    address: str
    heartbeat_s: int  # the feed updates at least this often; older answers are stale


@dataclass(frozen=True, order=True)
class Pair:
    """Two token symbols in pool order (token0 has the lower address). Build with `Deployment.pair`."""

    token0: str
    token1: str

    @property
    def label(self) -> str:
        return f"{self.token0}/{self.token1}"


@dataclass(frozen=True, order=True)
class PoolKey:
    """A Uniswap V3 pool: its pair and its fee in pips (500 = 0.05%)."""

    pair: Pair
    fee_pips: int

    @property
    def label(self) -> str:
        return f"{self.pair.label} {self.fee_pips / 10_000:g}%"


@dataclass(frozen=True)
class Uniswap:
    v2_factory: str
    v2_router: str  # UniswapV2Router02
    v3_factory: str
    swap_router: str  # V3 SwapRouter
    quoter: str  # QuoterV2
    tick_lens: str


@dataclass(frozen=True)
class KeelContracts:
    settlement: str  # BatchSettlement
    relayer: str  # created by the settlement; holds the users' approvals
    allow_list: str  # SolverAllowList


@dataclass(frozen=True)
class Deployment:
    tokens: Mapping[str, Token]  # symbol -> token
    native: str  # symbol of the wrapped native token, whose feed prices gas
    feeds: Mapping[str, Feed]  # token symbol -> its USD feed
    uniswap: Uniswap
    v2_pairs: Mapping[Pair, str] = field(default_factory=dict)
    v3_pools: Mapping[PoolKey, str] = field(default_factory=dict)
    keel: KeelContracts | None = None
    v3_seeder: str | None = None  # the world builder's liquidity helper (local worlds only)

    # ---- lookups ----------------------------------------------------------------------------
    def token(self, symbol: str) -> Token:
        try:
            return self.tokens[symbol]
        except KeyError:
            raise UnknownName(f"token: {symbol} is not a token of this world (known: {', '.join(self.tokens)})",
                              "token") from None

    def feed(self, symbol: str) -> Feed:
        try:
            return self.feeds[symbol]
        except KeyError:
            raise UnknownName(f"{symbol} has no price feed on this chain (tokens with one: {', '.join(self.feeds)})",
                              "feed") from None

    @property
    def native_token(self) -> Token:
        return self.token(self.native)

    @property
    def native_feed(self) -> Feed:
        """The feed that prices gas; an error, never a zero, when the chain has none."""
        if self.native not in self.feeds:
            raise UnknownName(f"the native token {self.native} has no price feed on this chain; gas cannot be valued",
                              "feed")
        return self.feeds[self.native]

    def priced(self) -> dict[str, Token]:
        """symbol -> token for every token that has a feed, in the deployment's order."""
        return {s: t for s, t in self.tokens.items() if s in self.feeds}

    def token_addresses(self) -> list[str]:
        return [t.address for t in self.tokens.values()]

    def symbol_of(self, address: str) -> str | None:
        wanted = address.lower()
        return next((t.symbol for t in self.tokens.values() if t.address.lower() == wanted), None)

    def pair(self, a: str, b: str) -> Pair:
        """The pair of two token symbols, in pool order whichever order they are given in."""
        ta, tb = self.token(a), self.token(b)
        if ta.symbol == tb.symbol:
            raise UnknownName(f"pair: {a}/{b} joins a token to itself", "pair")
        return Pair(a, b) if int(ta.address, 16) < int(tb.address, 16) else Pair(b, a)

    def v2_pair(self, a: str, b: str) -> str:
        pair = self.pair(a, b)
        if pair not in self.v2_pairs:
            raise UnknownName(f"pair: no V2 pair {pair.label} on this chain", "pair")
        return self.v2_pairs[pair]

    def find_v3_pool(self, a: str, b: str, fee_pips: int) -> str | None:
        return self.v3_pools.get(PoolKey(self.pair(a, b), fee_pips))

    def v3_pool(self, a: str, b: str, fee_pips: int) -> str:
        found = self.find_v3_pool(a, b, fee_pips)
        if found is None:
            raise UnknownName(f"pool: no V3 pool {PoolKey(self.pair(a, b), fee_pips).label} on this chain", "pool")
        return found

    def pool_addresses(self) -> set[str]:
        return set(self.v2_pairs.values()) | set(self.v3_pools.values())

    @property
    def contracts(self) -> KeelContracts:
        if self.keel is None:
            raise NotDeployed("keel's contracts are not deployed on this chain: run `keel chain up`")
        return self.keel

    @property
    def settlement(self) -> str:
        return self.contracts.settlement

    @property
    def relayer(self) -> str:
        return self.contracts.relayer

    def with_keel(self, keel: KeelContracts) -> Deployment:
        return Deployment(self.tokens, self.native, self.feeds, self.uniswap, self.v2_pairs, self.v3_pools, keel,
                          self.v3_seeder)

    def labelled(self) -> Iterator[tuple[str, str]]:
        """(label, address) of everything deployed, for a table: tokens, feeds, routers, pools, keel."""
        for t in self.tokens.values():
            yield t.symbol, t.address
        for f in self.feeds.values():
            yield f"{f.symbol} / USD feed", f.address
        for name, address in _fields(self.uniswap):
            yield name, address
        for pair, address in sorted(self.v2_pairs.items()):
            yield f"V2 {pair.label}", address
        for key, address in sorted(self.v3_pools.items()):
            yield f"V3 {key.label}", address
        if self.keel is not None:
            yield from _fields(self.keel)
        if self.v3_seeder is not None:
            yield "v3_seeder", self.v3_seeder

    # ---- the serialised form ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "native": self.native,
            "tokens": [{"symbol": t.symbol, "address": t.address, "decimals": t.decimals} for t in self.tokens.values()],
            "feeds": [{"token": f.symbol, "address": f.address, "heartbeatS": f.heartbeat_s} for f in self.feeds.values()],
            "uniswap": dict(_fields(self.uniswap, camel=True)),
            "v2Pairs": [{"token0": p.token0, "token1": p.token1, "address": a} for p, a in sorted(self.v2_pairs.items())],
            "v3Pools": [{"token0": k.pair.token0, "token1": k.pair.token1, "feePips": k.fee_pips, "address": a}
                        for k, a in sorted(self.v3_pools.items())],
            "keel": dict(_fields(self.keel, camel=True)) if self.keel is not None else None,
            "v3Seeder": self.v3_seeder,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "deployment") -> Deployment:
        """The inverse of `to_json`; a `DeploymentError` naming the offending key otherwise."""
        r = _Reader(source)
        top = r.object(data, "", ("native", "tokens", "feeds", "uniswap", "v2Pairs", "v3Pools", "keel", "v3Seeder"),
                       optional=("keel", "v3Seeder"))
        tokens: dict[str, Token] = {}
        for i, item in enumerate(r.array(top["tokens"], "tokens")):
            path = f"tokens[{i}]"
            t = r.object(item, path, ("symbol", "address", "decimals"))
            symbol = r.symbol(t["symbol"], f"{path}.symbol")
            if symbol in tokens:
                raise DeploymentError(f"{source}: {path}.symbol {symbol} is listed twice", f"{path}.symbol")
            tokens[symbol] = Token(symbol, r.address(t["address"], f"{path}.address"),
                                   r.integer(t["decimals"], f"{path}.decimals", 0, 77))
        native = r.known(top["native"], "native", tokens)
        feeds: dict[str, Feed] = {}
        for i, item in enumerate(r.array(top["feeds"], "feeds")):
            path = f"feeds[{i}]"
            f = r.object(item, path, ("token", "address", "heartbeatS"))
            symbol = r.known(f["token"], f"{path}.token", tokens)
            feeds[symbol] = Feed(symbol, r.address(f["address"], f"{path}.address"),
                                 r.integer(f["heartbeatS"], f"{path}.heartbeatS", 1, 2**32))
        u = r.object(top["uniswap"], "uniswap", tuple(_camel(n) for n in Uniswap.__dataclass_fields__))
        uniswap = Uniswap(**{n: r.address(u[_camel(n)], f"uniswap.{_camel(n)}") for n in Uniswap.__dataclass_fields__})
        deployment = cls(tokens, native, feeds, uniswap)
        v2: dict[Pair, str] = {}
        for i, item in enumerate(r.array(top["v2Pairs"], "v2Pairs")):
            p = r.object(item, f"v2Pairs[{i}]", ("token0", "token1", "address"))
            v2[r.pair(deployment, p, f"v2Pairs[{i}]")] = r.address(p["address"], f"v2Pairs[{i}].address")
        v3: dict[PoolKey, str] = {}
        for i, item in enumerate(r.array(top["v3Pools"], "v3Pools")):
            p = r.object(item, f"v3Pools[{i}]", ("token0", "token1", "feePips", "address"))
            key = PoolKey(r.pair(deployment, p, f"v3Pools[{i}]"), r.integer(p["feePips"], f"v3Pools[{i}].feePips", 1, 10**6))
            v3[key] = r.address(p["address"], f"v3Pools[{i}].address")
        keel = None
        if top.get("keel") is not None:
            k = r.object(top["keel"], "keel", tuple(_camel(n) for n in KeelContracts.__dataclass_fields__))
            keel = KeelContracts(**{n: r.address(k[_camel(n)], f"keel.{_camel(n)}")
                                    for n in KeelContracts.__dataclass_fields__})
        seeder = top.get("v3Seeder")
        return cls(tokens, native, feeds, uniswap, v2, v3, keel,
                   r.address(seeder, "v3Seeder") if seeder is not None else None)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _fields(obj: Any, camel: bool = False) -> Iterator[tuple[str, str]]:
    for name in obj.__dataclass_fields__:
        yield (_camel(name) if camel else name), getattr(obj, name)


@dataclass(frozen=True)
class _Reader:
    """Shape checks for `Deployment.from_json`, each error naming the key's path."""

    source: str

    def fail(self, path: str, what: str) -> DeploymentError:
        return DeploymentError(f"{self.source}: {path or 'the record'} {what}", path or None)

    def object(self, value: Any, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be an object")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            where = f"{path}.{unknown[0]}" if path else unknown[0]
            raise self.fail(where, f"is not a known key (known: {', '.join(keys)})")
        missing = [k for k in keys if k not in value and k not in optional]
        if missing:
            raise self.fail(f"{path}.{missing[0]}" if path else missing[0], "is missing")
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return value

    def address(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not is_address(value):
            raise self.fail(path, f"is not an address: {value!r}")
        return to_checksum_address(value)

    def integer(self, value: Any, path: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(path, f"must be an integer in [{lo}, {hi}], got {value!r}")
        return value

    def symbol(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a token symbol, got {value!r}")
        return value

    def known(self, value: Any, path: str, tokens: Mapping[str, Token]) -> str:
        symbol = self.symbol(value, path)
        if symbol not in tokens:
            raise self.fail(path, f"names {symbol}, which is not among the tokens ({', '.join(tokens)})")
        return symbol

    def pair(self, deployment: Deployment, item: dict[str, Any], path: str) -> Pair:
        a = self.known(item["token0"], f"{path}.token0", deployment.tokens)
        b = self.known(item["token1"], f"{path}.token1", deployment.tokens)
        if a == b:
            raise self.fail(f"{path}.token1", f"repeats token0 ({a})")
        pair = deployment.pair(a, b)
        if pair != Pair(a, b):
            raise self.fail(path, f"lists {a}/{b}, but pool order is {pair.label} (token0 has the lower address)")
        return pair
