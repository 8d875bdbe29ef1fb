"""`keel intent show`'s words: why an intent is where it is, and for a settled one what its owner got.

- `status_lines(record, now_s, rounds)`: open / in auction / expired / cancelled / failed, in
  sentences, with the time left or past and, when auctions tried it, each solver's verdict in
  the last round that held it (the reason the auctioneer recorded, which names symbols and amounts).
- `saving_sentence(saving)`: the batch's stored saving against routing each intent alone, in words
  (the figures `auction.settled` recorded when the round settled; see `explorer.views.settled_figures`).
- `settled_report(world, record)`: reads the settling transaction: the owner's balance change
  of each intent token across that block (the fills), the batch's clearing prices for its tokens (USD per whole token),
  the fee the settlement measured (`given - received` of its fill, valued at the clearing
  prices) and the outcome reached at that block against the signed band.
Clearing prices are keel's `UsdPrice` (USD per base unit x 1e36, docs/interfaces.md); display
values are floats, rounded only for printing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from keel import render
from keel.units import BPS, USD_PRICE_SCALE


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def _ago(seconds: float) -> str:
    s = int(abs(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def status_lines(record: dict[str, Any], now_s: float, rounds: list[Any]) -> list[str]:
    """Sentences that say why the intent is in its status (what it waits on, or why it stopped)."""
    status, valid_to = record["status"], int(record["validTo"])
    left = valid_to - now_s
    lines: list[str] = []
    if status == "open":
        lines.append(f"open: waiting for the next auction round; valid until {_when(valid_to)} ({_ago(left)} left)"
                     if left >= 0 else f"open, but its validity ended {_ago(left)} ago: it expires at the next round")
    elif status == "in_auction":
        lines.append("in auction: a round holds it now; solvers are solving or the winner is settling")
    elif status == "expired":
        lines.append(f"expired: no round settled it before {_when(valid_to)}")
    elif status == "cancelled":
        lines.append("cancelled by its owner: it will never settle")
    elif status == "failed":
        lines.append(f"failed: {record.get('reason') or 'the settling transaction reverted'}")
    elif status == "settled":
        lines.append(f"settled in transaction {record.get('txHash')}")
    elif status == "parked":
        lines.append(f"parked: {record.get('reason')}; it is not auctioned until its owner holds one of its tokens "
                     "again (then the next round reopens it), or cancel it")
    if status == "open" and record.get("reason"):
        lines.append(f"left out of the last auction's snapshot: {record['reason']}")
    if rounds and status != "settled":
        last = rounds[0]
        lines.append(f"tried in {len(rounds)} round(s); the last, round {last.id} at block {last.block}, "
                     f"ended {last.status}" + (f" ({last.note})" if last.note else ""))
        lines += [f"  {c.strategy or c.solver_url}: {c.verdict} — {c.reason}" for c in last.candidates]
    elif status == "open" and not rounds and not record.get("reason"):
        lines.append("no auction round has taken it yet (is `keel up` or `keel auction run` running?)")
    return lines


def saving_sentence(saving: dict[str, Any]) -> str:
    """What the intent's batch saved against routing each of its intents alone (batch-wide: the
    batch's pool and gas cost is shared, so the saving is not split per intent)."""
    if saving["savedUsd"] is None:
        return f"not recorded ({saving.get('note') or 'no figures'})"
    alone = ("" if saving["settledAloneToo"]
             else "; this intent could not have been settled alone at all")
    saved = saving["savedUsd"]
    verdict = f"{render.usd(saved)} saved" if saved >= 0 else f"{render.usd(-saved)} more than alone"
    return (f"its batch of {saving['batchIntents']} intents cost the users {render.usd(saving['batchCostUsd'])} "
            f"in pools and gas, against {render.usd(saving['aloneCostUsd'])} with each intent routed alone: "
            f"{verdict}{alone}")


@dataclass
class Settled:
    """What the owner got: fills (whole tokens, + received / - given), prices, fee, outcome."""

    fills: list[dict[str, str]] = field(default_factory=list)
    prices: list[dict[str, str]] = field(default_factory=list)
    fee_usd: float = 0.0
    given_usd: float = 0.0
    outcome: list[dict[str, str]] = field(default_factory=list)
    inside: bool = True
    gas_used: int = 0


def settled_report(world: Any, record: dict[str, Any]) -> Settled:
    """Decode the settling transaction for this intent: fills, clearing prices, fee, outcome vs band."""
    from contracts.settlement import Settlement

    w3 = world.web3()
    settlement = Settlement(w3, world.deployment.keel.settlement)
    tx = w3.eth.get_transaction(record["txHash"])
    receipt = w3.eth.get_transaction_receipt(record["txHash"])
    _fn, args = settlement.contract.decode_function_input(tx["input"])
    tokens = [t.lower() for t in args["tokens"]]
    prices = dict(zip(tokens, args["clearingPrices"], strict=True))
    intent = record["intent"]
    flows = _balance_changes(w3, intent["owner"], intent["tokens"], int(receipt["blockNumber"]))
    event = next((e for e in settlement.executed(receipt) if "0x" + bytes(e["intentId"]).hex() == record["id"].lower()),
                 None)
    out = Settled(gas_used=int(receipt["gasUsed"]))
    for j, address in enumerate(intent["tokens"]):
        token = world.deployment.tokens[world.deployment.symbol_of(address)]
        p = prices.get(address.lower(), 0)
        whole_usd = p * 10**token.decimals / USD_PRICE_SCALE
        out.prices.append({"token": token.symbol, "clearing price (USD per token)": render.usd(whole_usd)})
        amount = flows[j] / 10**token.decimals
        out.fills.append({"token": token.symbol, "filled (tokens)": f"{amount:+,.10g}",
                          "value (USD)": render.usd(flows[j] * p / USD_PRICE_SCALE)})
    if event is not None:
        out.given_usd = int(event["given"]) / USD_PRICE_SCALE
        out.fee_usd = (int(event["given"]) - int(event["received"])) / USD_PRICE_SCALE
    out.outcome, out.inside = _outcome(w3, world, intent, prices, int(receipt["blockNumber"]))
    return out


def _balance_changes(w3: Any, owner: str, tokens: list[str], block: int) -> list[int]:
    """What the owner's balance of each token did across the settling block (the compact
    executions are not worth decoding twice: the chain already says what the owner got)."""
    from web3 import Web3

    abi = [{"name": "balanceOf", "type": "function", "stateMutability": "view",
            "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]}]
    out = []
    for address in tokens:
        token = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
        holder = Web3.to_checksum_address(owner)
        after = int(token.functions.balanceOf(holder).call(block_identifier=block))
        before = int(token.functions.balanceOf(holder).call(block_identifier=block - 1))
        out.append(after - before)
    return out


def _outcome(w3: Any, world: Any, intent: dict[str, Any], prices: dict[str, int], block: int) -> tuple[list[dict[str, str]], bool]:
    """Post-batch balances at the settling block against the signed band (weights or balance bounds)."""
    from commands.wallet import _erc20

    balances = [int(_erc20(w3, a).functions.balanceOf(intent["owner"]).call(block_identifier=block))
                for a in intent["tokens"]]
    symbols = [world.deployment.symbol_of(a) for a in intent["tokens"]]
    rows, inside = [], True
    if intent.get("targetWeightBps"):
        values = [b * prices.get(a.lower(), 0) for b, a in zip(balances, intent["tokens"], strict=True)]
        total = sum(values) or 1
        tol = int(intent["toleranceBps"])
        for sym, v, t in zip(symbols, values, intent["targetWeightBps"], strict=True):
            w_bps = v * BPS / total
            ok = abs(w_bps - int(t)) <= tol
            inside &= ok
            rows.append({"token": sym, "weight after %": f"{w_bps / 100:.2f}",
                         "band %": f"{(int(t) - tol) / 100:.2f} – {(int(t) + tol) / 100:.2f}", "inside": "yes" if ok else "NO"})
        return rows, inside
    for sym, b, lo, hi in zip(symbols, balances, intent["minBalance"], intent["maxBalance"], strict=True):
        dec = world.deployment.tokens[sym].decimals
        ok = int(lo) <= b <= int(hi)
        inside &= ok
        upper = "∞" if int(hi) >= 2**255 else f"{int(hi) / 10**dec:,.6g}"
        rows.append({"token": sym, "balance after (tokens)": f"{b / 10**dec:,.6g}",
                     "band (tokens)": f"{int(lo) / 10**dec:,.6g} – {upper}", "inside": "yes" if ok else "NO"})
    return rows, inside
