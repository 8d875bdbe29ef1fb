"""Policy files (TOML) -> validated specs -> policy objects. Unknown keys are refused.

A file holds either a `[book]` (delta hedging an options book) or a `[portfolio]`
(weights), one or more `[[policies]]`, and optional `[keeper]`, `[costs]`, `[gas]`,
`[breakers]` and `[backtest]` tables. Each policy has a `kind`, its parameters, and an optional
`sweep` list of values for its free parameter (the backtester draws one frontier point
per value). Every error names the field as a dotted path (`policies[1].band`).

Pure: takes the file's text; the CLI reads the file.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from risk.policies import hedge, impulse
from risk.policies.errors import PolicyError

Kind = Literal[
    "every-step", "time", "threshold", "defi", "leland", "whalley-wilmott",
    "zakamouline", "vol-adaptive", "gas-aware", "impulse", "gas-timing",
]
# The parameters each kind takes; the first is the free parameter a sweep varies.
PARAMS: dict[str, tuple[str, ...]] = {
    "every-step": (),
    "time": ("interval_hours",),
    "threshold": ("band", "to"),
    "defi": ("band", "interval_hours"),
    "leland": ("interval_hours",),
    "whalley-wilmott": ("risk_aversion",),
    "zakamouline": ("risk_aversion",),
    "vol-adaptive": ("band",),
    "gas-aware": ("risk_aversion", "horizon_hours"),
    "impulse": ("risk_aversion", "gas"),
    "gas-timing": ("risk_aversion", "budget", "gas_half_life_hours", "gas_log_sd"),
}
DELTA_ONLY = {"leland", "whalley-wilmott", "zakamouline", "impulse", "gas-timing"}
# The kinds `keel watch` prefers when `[keeper] policy` names none (first match in the file).
KEEPER_DEFAULT_KINDS = ("impulse", "gas-timing")
OWN_KEYS = ("interval_hours", "band", "to", "risk_aversion", "horizon_hours", "gas", "budget",
            "gas_half_life_hours", "gas_log_sd")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicySpec(_Strict):
    name: str = Field(min_length=1)
    kind: Kind
    interval_hours: float | None = None
    band: float | None = None
    to: float | None = None
    risk_aversion: float | None = None
    horizon_hours: float | None = None
    gas: Literal["current", "reference"] | None = None
    budget: float | None = None
    gas_half_life_hours: float | None = None
    gas_log_sd: float | None = None
    sweep: list[float] | None = None

    @model_validator(mode="after")
    def _only_own_params(self) -> PolicySpec:
        allowed = PARAMS[self.kind]
        for key in OWN_KEYS:
            if getattr(self, key) is not None and key not in allowed:
                raise ValueError(f"{key}: not a parameter of kind {self.kind!r} (it takes {', '.join(allowed) or 'none'})")
        if self.sweep is not None and not allowed:
            raise ValueError(f"sweep: kind {self.kind!r} has no free parameter to sweep")
        return self


class BookSpec(_Strict):
    file: str | None = None
    underlying: str = "WETH"
    numeraire: str = "USDC"
    target_delta: float = 0.0


class PortfolioSpec(_Strict):
    tokens: list[str] = Field(min_length=2)
    target: list[float]
    value: float = Field(default=1_000_000.0, gt=0)
    vols: list[float] | None = None
    correlation: list[list[float]] | None = None

    @model_validator(mode="after")
    def _shape(self) -> PortfolioSpec:
        if len(self.target) != len(self.tokens):
            raise ValueError("target: needs one weight (percent) per token")
        if any(t < 0 for t in self.target) or abs(sum(self.target) - 100.0) > 1e-6:
            raise ValueError(f"target: weights must be >= 0 and sum to 100, got {sum(self.target):g}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("tokens: a token appears twice")
        return self


class KeeperSpec(_Strict):
    policy: str | None = None
    poll_seconds: float = Field(default=12.0, gt=0)
    valid_seconds: int = Field(default=600, gt=0)
    slippage_bps: int = Field(default=100, ge=0, le=5000)
    max_fee_bps: int = Field(default=30, ge=0, le=1000)
    band_tokens: float = Field(default=0.0, ge=0)


class CostSpec(_Strict):
    model: Literal["pools", "flat"] = "pools"
    flat_bps: float = Field(default=0.0, ge=0, le=1000)
    gas_price_gwei: float = Field(default=20.0, ge=0)
    gas_per_trade: int = Field(default=150_000, ge=0)


class GasSpec(_Strict):
    """The gas price a backtest sees: constant at `[costs] gas_price_gwei`, or mean-reverting
    around it (log-OU with this half-life and stationary log-sd; see risk.backtest.gas)."""

    model: Literal["constant", "mean-reverting"] = "constant"
    half_life_hours: float = Field(default=4.0, gt=0)
    log_sd: float = Field(default=0.6, gt=0, le=5)


class BreakerSpec(_Strict):
    max_oracle_age_s: float = Field(default=3600.0, gt=0)
    max_pool_deviation_bps: float = Field(default=200.0, gt=0)
    max_impact_bps: float = Field(default=100.0, gt=0)
    halt_vol: float = Field(default=3.0, gt=0)
    notional_cap: float = Field(default=5_000_000.0, gt=0)
    notional_window_hours: float = Field(default=24.0, gt=0)
    resume_fraction: float = Field(default=0.8, gt=0, lt=1)


class BacktestSpec(_Strict):
    days: float = Field(default=30.0, gt=0)
    steps_per_day: int = Field(default=24, gt=0, le=10_000)
    vol: float | None = Field(default=None, gt=0)
    vol_half_life_hours: float = Field(default=24.0, gt=0)
    # GARCH(1,1) in per-time units (risk.backtest.paths.garch_per_step): the variance's
    # half-life and its annualised volatility (xi; 2.7 is alpha = 0.10 on daily steps)
    garch_half_life_hours: float = Field(default=336.0, gt=0)
    garch_vol_of_var: float = Field(default=2.7, ge=0)
    block_hours: float = Field(default=24.0, gt=0)  # block length of the CSV replay's bootstrap


class PolicyFile(_Strict):
    book: BookSpec | None = None
    portfolio: PortfolioSpec | None = None
    policies: list[PolicySpec] = Field(min_length=1)
    keeper: KeeperSpec = KeeperSpec()
    costs: CostSpec = CostSpec()
    gas: GasSpec = GasSpec()
    breakers: BreakerSpec = BreakerSpec()
    backtest: BacktestSpec = BacktestSpec()

    @model_validator(mode="after")
    def _one_subject(self) -> PolicyFile:
        if (self.book is None) == (self.portfolio is None):
            raise ValueError("book: a policy file has exactly one of [book] or [portfolio]")
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError("policies: two policies share a name")
        if self.keeper.policy is not None and self.keeper.policy not in names:
            raise ValueError(f"keeper.policy: {self.keeper.policy!r} is not one of {', '.join(names)}")
        return self

    @property
    def is_weights(self) -> bool:
        return self.portfolio is not None


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_value(kind: str, key: str, value: float | str, weights: bool, where: str) -> None:
    if isinstance(value, str):
        return  # a choice, already checked against its literal values
    if not math.isfinite(value) or (value <= 0 and not (key == "to" and value == 0)):
        raise PolicyError(f"{where}: must be a positive number, got {value!r}", where)
    if weights and key in ("band", "to") and value >= 1:
        raise PolicyError(f"{where}: a weights band is a fraction in (0, 1) (0.05 = 5 points), got {value}", where)
    if key == "budget" and value < 1:
        raise PolicyError(f"{where}: the risk budget is a multiple of the band at reference gas, >= 1, got {value}", where)


def validate_ranges(spec: PolicyFile) -> None:
    """Every policy's parameters in range for the run the file describes (a book's delta or portfolio weights)."""
    for i, p in enumerate(spec.policies):
        weights = spec.is_weights
        if weights and p.kind in DELTA_ONLY:
            raise PolicyError(f"policies[{i}].kind: {p.kind!r} hedges an options book, not a [portfolio]", f"policies[{i}].kind")
        for key in PARAMS[p.kind]:
            value = getattr(p, key)
            if value is not None:
                _check_value(p.kind, key, value, weights, f"policies[{i}].{key}")
        for j, value in enumerate(p.sweep or []):
            _check_value(p.kind, PARAMS[p.kind][0], value, weights, f"policies[{i}].sweep[{j}]")
        if p.to is not None and p.band is not None and p.to >= p.band:
            raise PolicyError(f"policies[{i}].to: must be below band ({p.to} >= {p.band})", f"policies[{i}].to")


def parse(text: str, source: str = "policy.toml") -> PolicyFile:
    """Validate a policy file's text. Raises PolicyError naming the first bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML ({exc})", source) from exc
    try:
        spec = PolicyFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _field(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see samples/policy.toml)"
        head, sep, rest = msg.partition(": ")
        if sep and head.replace(".", "").replace("_", "").isalpha():
            # a model validator's "key: why" names a field inside the located model
            where, msg = (f"{where}.{head}" if where else head), rest
        raise PolicyError(f"{source}: {where}: {msg}", where) from exc
    validate_ranges(spec)
    return spec


KINDS: dict[str, type] = {**hedge.HEDGE_KINDS, "impulse": impulse.ImpulseBand, "gas-timing": impulse.GasTiming}


def build(p: PolicySpec, gas: GasSpec | None = None) -> Any:
    """The policy object a spec describes (defaults for parameters it leaves out; a
    gas-timing policy takes its gas model from `gas`, the file's `[gas]`, unless it names one)."""
    kwargs = {k: getattr(p, k) for k in PARAMS[p.kind] if getattr(p, k) is not None}
    if p.kind == "gas-timing" and gas is not None:
        kwargs.setdefault("gas_half_life_hours", gas.half_life_hours)
        kwargs.setdefault("gas_log_sd", gas.log_sd)
    return KINDS[p.kind](name=p.name, **kwargs)


def variants(p: PolicySpec, gas: GasSpec | None = None) -> list[Any]:
    """One policy object per sweep value (or just the one), for frontier points."""
    base = build(p, gas)
    if not p.sweep:
        return [base]
    return [base.with_param(v) for v in p.sweep]


def keeper_spec(spec: PolicyFile) -> PolicySpec:
    """The policy `keel watch` runs: `[keeper] policy = <name>`; else the first impulse-band
    policy in the file (the default keeper policy); else the first policy."""
    if spec.keeper.policy is not None:
        return next(p for p in spec.policies if p.name == spec.keeper.policy)
    return next((p for p in spec.policies if p.kind in KEEPER_DEFAULT_KINDS), spec.policies[0])


def keeper_policy(spec: PolicyFile) -> Any:
    return build(keeper_spec(spec), spec.gas)
