"""Auction and solution JSON (pydantic), mapped to `solver.domain` at the edge.

Shapes (auction/openapi.yml describes them): uint256 values as decimal strings, addresses
checksummed, flows as signed decimal strings. Every validation failure becomes one
`SolverError` naming the field by its JSON path (`executions[0].flows.0xC02a…`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from contracts.interaction import Interaction
from intents.errors import IntentError
from intents.validate import check_shape
from intents.wire import Address, HexBytes, SignedIntentModel, Uint
from keel.units import UsdPrice
from solver.domain import Auction, BatchIntent, Execution, Solution, Token
from solver.errors import SolverError


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a signed integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    raise ValueError(f"expected a signed integer (decimal string), got {value!r}")


SignedInt = Annotated[int, BeforeValidator(_to_int)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenModel(_Strict):
    symbol: str = Field(min_length=1, max_length=32)
    decimals: int = Field(ge=0, le=77)
    referencePrice: Uint


class AuctionIntentModel(SignedIntentModel):
    id: HexBytes


class AuctionModel(_Strict):
    id: int = Field(ge=0)
    chainId: int = Field(ge=1)
    settlement: Address
    block: int = Field(ge=0)
    deadline: int = Field(ge=0, description="unix milliseconds")
    tokens: dict[Address, TokenModel]
    intents: list[AuctionIntentModel]
    balances: dict[Address, dict[Address, Uint]]
    liquidity: dict[str, Any]
    gasPrice: Uint
    nativePrice: Uint  # USD per wei × 1e36 of the native token: what gas costs


class ExecutionModel(_Strict):
    intentId: HexBytes
    flows: dict[Address, SignedInt]


class InteractionModel(_Strict):
    target: Address
    value: Uint = 0
    callData: HexBytes


class SolutionModel(_Strict):
    auctionId: int = Field(ge=0)
    solver: Address
    prices: dict[Address, Uint]
    executions: list[ExecutionModel] = Field(min_length=1)
    interactions: list[InteractionModel] = Field(default_factory=list)
    score: Uint
    gas: int = Field(ge=0)
    stats: dict[str, Any] = Field(default_factory=dict)


class NotifyModel(_Strict):
    auctionId: int = Field(ge=0)
    verdict: str = Field(pattern="^(won|lost|dropped|settled|failed)$")
    reason: str = ""
    txHash: str | None = None


class SettleRequestModel(_Strict):
    auctionId: int = Field(ge=0)
    calldata: HexBytes
    to: Address
    gas: int = Field(ge=21_000, le=30_000_000)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(model: type[_Strict], data: Any) -> Any:
    if not isinstance(data, dict):
        raise SolverError("body: expected a JSON object", "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _path(tuple(err["loc"])) or "body"
        msg = {"missing": "is required", "extra_forbidden": "is not a known field"}.get(
            err["type"], str(err["msg"]).removeprefix("Value error, ")
        )
        raise SolverError(f"{field}: {msg}", field) from None
    except IntentError as exc:
        raise SolverError(str(exc), exc.field) from None


# -- auction ------------------------------------------------------------------------------

def auction_from_json(data: Any) -> Auction:
    m: AuctionModel = parse(AuctionModel, data)
    intents = []
    for i, item in enumerate(m.intents):
        try:
            signed = item.to_signed()
            check_shape(signed.intent)  # lengths and kinds: a malformed intent must never reach a strategy
        except IntentError as exc:
            raise SolverError(f"intents[{i}].{exc}", f"intents[{i}].{exc.field}") from None
        intents.append(BatchIntent(item.id, signed))
    return Auction(
        id=m.id,
        chain_id=m.chainId,
        settlement=m.settlement,
        block=m.block,
        deadline_ms=m.deadline,
        tokens={a: Token(a, t.symbol, t.decimals, UsdPrice(t.referencePrice)) for a, t in m.tokens.items()},
        intents=tuple(intents),
        balances={o: dict(b) for o, b in m.balances.items()},
        liquidity=m.liquidity,
        gas_price_wei=m.gasPrice,
        native_price=UsdPrice(m.nativePrice),
    )


def auction_to_json(a: Auction) -> dict[str, Any]:
    intents = []
    for bi in a.intents:
        body = SignedIntentModel.from_signed(bi.signed).model_dump(mode="json", exclude_none=True)
        intents.append({"id": bi.id, **body})
    return {
        "id": a.id,
        "chainId": a.chain_id,
        "settlement": a.settlement,
        "block": a.block,
        "deadline": a.deadline_ms,
        "tokens": {t.address: {"symbol": t.symbol, "decimals": t.decimals, "referencePrice": str(t.reference_price)}
                   for t in a.tokens.values()},
        "intents": intents,
        "balances": {o: {t: str(v) for t, v in b.items()} for o, b in a.balances.items()},
        "liquidity": a.liquidity,
        "gasPrice": str(a.gas_price_wei),
        "nativePrice": str(a.native_price),
    }


# -- solution -----------------------------------------------------------------------------

def solution_from_json(data: Any) -> Solution:
    m: SolutionModel = parse(SolutionModel, data)
    return Solution(
        auction_id=m.auctionId,
        solver=m.solver,
        prices=dict(m.prices),
        executions=tuple(Execution(e.intentId, dict(e.flows)) for e in m.executions),
        interactions=tuple(Interaction(i.target, i.value, bytes.fromhex(i.callData[2:])) for i in m.interactions),
        score_e18=m.score,
        gas=m.gas,
        stats=m.stats,
    )


def solution_to_json(s: Solution) -> dict[str, Any]:
    return {
        "auctionId": s.auction_id,
        "solver": s.solver,
        "prices": {t: str(p) for t, p in s.prices.items()},
        "executions": [{"intentId": e.intent_id, "flows": {t: str(q) for t, q in e.flows.items()}} for e in s.executions],
        "interactions": [{"target": i.target, "value": str(i.value_wei), "callData": "0x" + i.call_data.hex()}
                         for i in s.interactions],
        "score": str(s.score_e18),
        "gas": s.gas,
        "stats": s.stats,
    }
