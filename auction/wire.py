"""Every body the auctioneer and a solver node exchange (pydantic), mapped to `solver.domain`
and `routing.pools` at the edge.

Shapes (`auction/openapi.yml` is generated from these models: `python -m auction.openapi`):
uint256 values as decimal strings, addresses checksummed, flows as signed decimal strings,
the liquidity snapshot typed pool by pool (`kind` "v2" | "v3"). Every validation failure
becomes one `SolverError` naming the field by its JSON path (`executions[0].flows.0xC02a…`,
`liquidity.pools[3].token0`). Parsing happens once, here: past this module the auction,
its liquidity and the solution are frozen dataclasses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from auction.verdicts import DropReason, Verdict
from contracts.interaction import Interaction
from intents.errors import IntentError
from intents.validate import check_shape
from intents.wire import SignedIntentModel
from keel import wire as edge
from keel.units import UsdPrice
from keel.wire import Address, Bytes32, HexBytes, Int, Strict, Uint, dump, from_hex, hex_bytes
from routing.pools import Liquidity, Pool, V2Pool, v3_pool
from routing.pools import Token as PoolToken
from solver.domain import Auction, BatchIntent, Execution, PoolTwap, Solution, Token
from solver.errors import SolverError

__all__ = ["AuctionModel", "NotifyModel", "SettleRequestModel", "SolutionModel", "SolveResponseModel", "dump",
           "hex_bytes", "parse"]

REASON_MAX = 500  # characters of a verdict's sentence sent to a node


def parse(model: type[edge.M], data: Any) -> edge.M:
    return edge.parse(model, data, SolverError)


# -- liquidity -----------------------------------------------------------------------------

MAX_U63 = 2**63 - 1  # every id, block, deadline and gas fits sqlite's INTEGER and a float without overflow
Tick = Annotated[int, Field(ge=-887_272, le=887_272)]

class LiquidityTokenModel(Strict):
    symbol: str = Field(min_length=1, max_length=32)
    decimals: int = Field(ge=0, le=77)


class V2PoolModel(Strict):
    kind: Literal["v2"]
    address: Address
    token0: Address
    token1: Address
    reserve0: Uint
    reserve1: Uint


class V3PoolModel(Strict):
    kind: Literal["v3"]
    address: Address
    token0: Address
    token1: Address
    fee_pips: int = Field(ge=0, lt=1_000_000)
    tick_spacing: int = Field(gt=0, le=16_384)
    sqrt_price_x96: Uint
    tick: int = Field(ge=-887_272, le=887_272)
    liquidity: Uint
    ticks: list[tuple[Tick, Int]] = Field(description="[tick, liquidityNet] of every initialised tick known")
    word_lo: int = Field(ge=-(2**15), lt=2**15)  # tick-bitmap words are int16
    word_hi: int = Field(ge=-(2**15), lt=2**15)


PoolModel = Annotated[V2PoolModel | V3PoolModel, Field(discriminator="kind")]


class LiquidityModel(Strict):
    """`routing.pools.Liquidity` as JSON: the pools solvers may route over, read at `block`."""

    block: int = Field(0, ge=0, le=MAX_U63)
    native: Address | None = Field(None, description="the wrapped native token that prices gas (WETH)")
    tokens: dict[Address, LiquidityTokenModel] = Field(default_factory=dict)
    pools: list[PoolModel] = Field(default_factory=list)

    def to_liquidity(self) -> Liquidity:
        """The snapshot as `routing.pools` objects; SolverError if a pool or `native` names a token not in `tokens`."""
        if self.native is not None and self.native not in self.tokens:
            raise SolverError(f"native: {self.native} is not in tokens", "native")
        for i, p in enumerate(self.pools):
            for key, token in (("token0", p.token0), ("token1", p.token1)):
                if token not in self.tokens:
                    raise SolverError(f"pools[{i}].{key}: {token} is not in tokens", f"pools[{i}].{key}")
        tokens = {a: PoolToken(a, t.symbol, t.decimals) for a, t in self.tokens.items()}
        return Liquidity(tokens, tuple(_pool(p) for p in self.pools), self.block, self.native, "auction.liquidity")

    @classmethod
    def of(cls, liquidity: Liquidity) -> LiquidityModel:
        return cls.model_validate(liquidity.to_json())


def _pool(p: V2PoolModel | V3PoolModel) -> Pool:
    if isinstance(p, V2PoolModel):
        return V2Pool(p.address, p.token0, p.token1, p.reserve0, p.reserve1)
    return v3_pool(p.address, p.token0, p.token1, p.fee_pips, p.tick_spacing, p.sqrt_price_x96, p.tick, p.liquidity,
                   p.ticks, (p.word_lo, p.word_hi))


# -- the auction ---------------------------------------------------------------------------

class TokenModel(Strict):
    symbol: str = Field(min_length=1, max_length=32)
    decimals: int = Field(ge=0, le=77)
    referencePrice: Uint = Field(description="USD per base unit x 1e36 (from the oracle feed)")


class TwapModel(Strict):
    windowS: int = Field(ge=1, le=2**32 - 1, description="seconds before the auction's block")
    meanTick: int | None = Field(None, ge=-887272, le=887272,
                                 description="arithmetic mean tick over the window (token1 per token0); null: none")
    whyNot: str = Field("", max_length=200, description="why the pool has no TWAP (history shorter than the window)")


class AuctionIntentModel(SignedIntentModel):
    id: Bytes32 = Field(description="the intent's EIP-712 digest")


class AuctionModel(Strict):
    id: int = Field(ge=0, le=MAX_U63)
    chainId: int = Field(ge=1, le=MAX_U63)
    settlement: Address
    block: int = Field(ge=0, le=MAX_U63, description="the state the auction was snapshotted at; candidates are simulated there")
    deadline: int = Field(ge=0, le=MAX_U63, description="unix milliseconds; later answers are dropped")
    tokens: dict[Address, TokenModel]
    intents: list[AuctionIntentModel]
    balances: dict[Address, dict[Address, Uint]] = Field(description="owner -> token -> base units")
    liquidity: LiquidityModel
    gasPrice: Uint
    nativePrice: Uint  # USD per wei × 1e36 of the native token: what gas costs
    twaps: dict[Address, TwapModel] = Field(default_factory=dict,
                                            description="V3 pool -> its TWAP before `block` (observe())")
    poolTargets: list[Address] = Field(default_factory=list, max_length=10_000,
                                       description="V2 pairs the settlement lists as pool targets (isPoolTarget)")


def auction_from_json(data: Any) -> Auction:
    m = parse(AuctionModel, data)
    intents = []
    for i, item in enumerate(m.intents):
        try:
            signed = item.to_signed()
            check_shape(signed.intent)  # lengths and kinds: a malformed intent must never reach a strategy
        except IntentError as exc:
            raise SolverError(exc.detail, exc.field).within(f"intents[{i}]") from None
        intents.append(BatchIntent(item.id, signed))
    return Auction(
        id=m.id, chain_id=m.chainId, settlement=m.settlement, block=m.block, deadline_ms=m.deadline,
        tokens={a: Token(a, t.symbol, t.decimals, UsdPrice(t.referencePrice)) for a, t in m.tokens.items()},
        intents=tuple(intents), balances={o: dict(b) for o, b in m.balances.items()},
        liquidity=_liquidity(m.liquidity), gas_price_wei=m.gasPrice, native_price=UsdPrice(m.nativePrice),
        twaps={a: PoolTwap(t.windowS, t.meanTick, t.whyNot) for a, t in m.twaps.items()},
        pool_targets=frozenset(m.poolTargets),
    )


def _liquidity(m: LiquidityModel) -> Liquidity:
    try:
        return m.to_liquidity()
    except SolverError as exc:
        raise exc.within("liquidity") from None


def auction_to_model(a: Auction) -> AuctionModel:
    intents = [AuctionIntentModel(id=bi.id, **dict(SignedIntentModel.from_signed(bi.signed))) for bi in a.intents]
    return AuctionModel(
        id=a.id, chainId=a.chain_id, settlement=a.settlement, block=a.block, deadline=a.deadline_ms,
        tokens={t.address: TokenModel(symbol=t.symbol, decimals=t.decimals, referencePrice=t.reference_price)
                for t in a.tokens.values()},
        intents=intents, balances=a.balances, liquidity=LiquidityModel.of(a.liquidity), gasPrice=a.gas_price_wei,
        nativePrice=a.native_price,
        twaps={p: TwapModel(windowS=t.window_s, meanTick=t.mean_tick, whyNot=t.why_not) for p, t in a.twaps.items()},
        poolTargets=sorted(a.pool_targets),
    )


def auction_to_json(a: Auction) -> dict[str, Any]:
    """The auction's JSON; optional fields that are unset (an intent's `chainId`, `native`) are left out."""
    return auction_to_model(a).model_dump(mode="json", exclude_none=True)


# -- the solution --------------------------------------------------------------------------

class ExecutionModel(Strict):
    intentId: Bytes32
    flows: dict[Address, Int] = Field(description="token -> base units; < 0 pulled from the owner, > 0 paid")


class InteractionModel(Strict):
    target: Address
    value: Uint = 0
    callData: HexBytes


class SolutionModel(Strict):
    auctionId: int = Field(ge=0, le=MAX_U63)
    solver: Address
    prices: dict[Address, Uint] = Field(description="token -> uniform clearing price, same scale as referencePrice")
    executions: list[ExecutionModel] = Field(min_length=1)
    interactions: list[InteractionModel] = Field(default_factory=list)
    score: Uint = Field(description="the solver's own claim, USD x 1e18; the auctioneer recomputes it")
    gas: int = Field(ge=0, le=MAX_U63)
    stats: dict[str, Any] = Field(default_factory=dict, description="what the strategy learnt; not scored")
    sinks: dict[Address, Address] = Field(default_factory=dict,
                                          description="token -> the pool target its surplus sells go straight to")


def solution_from_model(m: SolutionModel) -> Solution:
    return Solution(
        auction_id=m.auctionId, solver=m.solver, prices=dict(m.prices),
        executions=tuple(Execution(e.intentId, dict(e.flows)) for e in m.executions),
        interactions=tuple(Interaction(i.target, i.value, from_hex(i.callData)) for i in m.interactions),
        score_e18=m.score, gas=m.gas, stats=m.stats, sinks=dict(m.sinks),
    )


def solution_from_json(data: Any) -> Solution:
    return solution_from_model(parse(SolutionModel, data))


def solution_to_model(s: Solution) -> SolutionModel:
    return SolutionModel(
        auctionId=s.auction_id, solver=s.solver, prices=s.prices,
        executions=[ExecutionModel(intentId=e.intent_id, flows=e.flows) for e in s.executions],
        interactions=[InteractionModel(target=i.target, value=i.value_wei, callData=hex_bytes(i.call_data))
                      for i in s.interactions],
        score=s.score_e18, gas=s.gas, stats=s.stats, sinks=s.sinks,
    )


def solution_to_json(s: Solution) -> dict[str, Any]:
    return dump(solution_to_model(s))


class SolveResponseModel(Strict):
    """`POST /solve`'s answer: a solution, or null and why (nothing settleable, timed out)."""

    solution: SolutionModel | None
    reason: str | None = None


# -- after the ranking: verdicts, settlement ----------------------------------------------------

class NotifyModel(Strict):
    """The auctioneer's verdict on one node's answer; `dropReason` is null exactly when it settled."""

    auctionId: int = Field(ge=0, le=MAX_U63)
    verdict: Verdict
    dropReason: DropReason | None = None
    reason: str = Field("", max_length=REASON_MAX, description="the sentence the operator reads")
    txHash: Bytes32 | None = None

    @model_validator(mode="after")
    def _reason_fits_verdict(self) -> NotifyModel:
        if self.verdict is Verdict.SETTLED and self.dropReason is not None:
            raise SolverError(f"dropReason: a settled answer has no drop reason, got {self.dropReason}", "dropReason")
        if self.dropReason is not None and self.dropReason.verdict is not self.verdict:
            raise SolverError(f"dropReason: {self.dropReason} ends in verdict {self.dropReason.verdict}, "
                              f"not {self.verdict}", "dropReason")
        return self


class NotificationModel(NotifyModel):
    """A verdict as the node kept it (`GET /notifications`)."""

    receivedAt: int = Field(ge=0, le=MAX_U63, description="unix milliseconds")


class NotifyAckModel(Strict):
    ok: bool


class SettleRequestModel(Strict):
    auctionId: int = Field(ge=0, le=MAX_U63)
    calldata: HexBytes = Field(description="exactly what the auctioneer simulated")
    to: Address
    gas: int = Field(ge=21_000, le=30_000_000)


class SettleAnswerModel(Strict):
    txHash: Bytes32


class HealthModel(Strict):
    status: Literal["ok"]
    strategy: str
    solver: Address
    auctioneer: Address | None = Field(None, description="the only signer whose POSTs this node serves")
    settlement: Address | None = Field(None, description="the only contract /settle sends to")
