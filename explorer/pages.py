"""The explorer's HTML: plain pages from the view dicts of `explorer.views`, every value escaped.

One small script on the rounds page listens to `/events` (server-sent events) and puts each new
or changed round at the top of the table without a reload. No build step, no library.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from keel.render import price

STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24}a{color:#0b5cad;text-decoration:none}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;
vertical-align:top}th{background:#f4f6f8}code{font-size:12px}.settled{color:#137333}.dropped,.failed{color:#b3261e}
.lost,.unsettled,.empty{color:#8a6d00}nav a{margin-right:16px}.why{background:#f4f6f8;padding:8px 12px;display:inline-block}
"""

LIVE = """
const tbody = document.getElementById('rounds');
const source = new EventSource('/events');
source.addEventListener('round', (e) => {
  const r = JSON.parse(e.data);
  const old = document.querySelector(`tr[data-round="${r.round}"]`);
  const tr = document.createElement('tr');
  tr.dataset.round = r.round;
  tr.innerHTML = r.html;
  if (old) old.replaceWith(tr); else tbody.prepend(tr);
  document.getElementById('live').textContent = `live: round ${r.round} ${r.status}`;
});
"""


def _v(value: Any) -> str:
    return "-" if value is None or value == "" else escape(str(value))


def page(title: str, body: str, script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} · keel explorer</title>"
            f"<style>{STYLE}</style></head><body><nav><a href='/'>rounds</a><a href='/intents'>intents</a>"
            f"<form action='/intents' style='display:inline'><input name='q' placeholder='owner or id prefix' "
            f"size='44'></form></nav><h1>{escape(title)}</h1>{body}{js}</body></html>")


def table(headers: Sequence[str], rows: Sequence[str], tbody_id: str = "") -> str:
    tb = f" id='{tbody_id}'" if tbody_id else ""
    return (f"<table><thead><tr>{''.join(f'<th>{escape(h)}</th>' for h in headers)}</tr></thead>"
            f"<tbody{tb}>{''.join(rows)}</tbody></table>")


ROUND_HEADERS = ("round", "status", "block", "intents", "candidates", "gas used (on chain)", "saved vs alone",
                 "winner", "tx")


def usd(value: float | None) -> str:
    """Money as people read it: `$12,345.67`, `-$3.10`; `-` for none (the CLI's `keel.render.usd`)."""
    if value is None:
        return "-"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _gas(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def round_cells(r: dict[str, Any]) -> str:
    return (f"<td><a href='/rounds/{r['round']}'>#{r['round']}</a></td><td class='{_v(r['status'])}'>{_v(r['status'])}</td>"
            f"<td>{_v(r['block'])}</td><td>{_v(r['intents'])}</td><td>{_v(r['candidates'])}</td>"
            f"<td>{_gas(r['gasUsed'])}</td><td>{usd(r['savedUsd'])}</td>"
            f"<td>{_v(r['winner'])}</td><td><code>{_v(r['txHash'])}</code></td>")


def rounds_page(rows: Sequence[dict[str, Any]]) -> str:
    body = "<p id='live'>live: waiting for rounds</p>" + table(
        ROUND_HEADERS, [f"<tr data-round='{r['round']}'>{round_cells(r)}</tr>" for r in rows], "rounds")
    return page("Rounds", body, LIVE)


def round_page(view: dict[str, Any]) -> str:
    facts = (f"<p>status <b class='{_v(view['status'])}'>{_v(view['status'])}</b> · block {_v(view['block'])} · "
             f"winner {_v(view['winner'])} · tx <code>{_v(view['txHash'])}</code>"
             f"{' · ' + _v(view['note']) if view.get('note') else ''}</p>")
    cands = [f"<tr><td>{_v(c['rank'])}</td><td>{_v(c['solverUrl'])}</td><td>{_v(c['strategy'])}</td>"
             f"<td class='{_v(c['verdict'])}'>{_v(c['verdict'])}</td><td>{_v(c['reason'])}</td>"
             f"<td>{usd(None if c['score'] is None else int(c['score']) / 10**18)}</td><td>{_gas(c['gas'])}</td>"
             f"<td>{_v(c['latencyMs'])}</td></tr>"
             for c in view["candidates"]]
    intents = [f"<tr><td><a href='/intents/{escape(i)}'><code>{escape(i)}</code></a></td></tr>" for i in view["intents"]]
    return page(f"Round #{view['round']}", facts + settlement_section(view) + "<h2>Solutions</h2>" + table(
        ("rank", "solver", "strategy", "verdict", "reason", "score (USD)", "gas (simulated)", "latency ms"), cands)
        + "<h2>Intents</h2>" + table(("intent",), intents))


def savings_sentence(s: dict[str, Any], intents: int) -> str:
    """The stored savings in words (what they were measured against), or why there are none."""
    if s["savedUsd"] is None:
        return f"Savings {_v(s.get('note') or 'not recorded')}."
    alone = f" ({len(s['aloneUnsettled'])} could not be settled alone at all)" if s["aloneUnsettled"] else ""
    verdict = (f"<b>{usd(s['savedUsd'])} saved</b>" if s["savedUsd"] >= 0
               else f"<b>{usd(-s['savedUsd'])} more</b> than alone")  # said as it is, never a negative saving
    return (f"Pools and gas cost the users {usd(s['batchCostUsd'])} in this batch of {intents} intents, against "
            f"{usd(s['aloneCostUsd'])} routing each intent alone{alone}: {verdict}.")


def settlement_section(view: dict[str, Any]) -> str:
    """A settled round's stored record: gas used on chain, clearing prices, savings, the route."""
    s = view.get("settlement")
    if not s:
        return ""
    prices = [f"<tr><td>{_v(p['symbol'])}</td><td>{price(p['usdPerToken'])}</td><td><code>{_v(p['token'])}</code></td></tr>"
              for p in s["clearingPrices"]]
    picture = (f"<p><img id='route' alt='route of round {view['round']}' src='{escape(view['routePicture'])}' "
               f"style='max-width:100%'></p>" if view.get("routePicture")
               else "<p id='route-none'>No pool carried anything: the batch was netted between its users.</p>")
    route = "".join(f"<li>{_v(line)}</li>" for line in s["route"])
    return ("<h2>Settlement</h2>"
            f"<p id='gas-used'>gas used on chain: <b>{_gas(s['gasUsed'])}</b> (the settle transaction's receipt)</p>"
            f"<p id='savings'>{savings_sentence(s['savings'], len(s['fills']))}</p>"
            "<h3>Clearing prices (one per token in the batch)</h3>"
            + table(("token", "USD per token", "address"), prices, "prices")
            + "<h3>Route</h3>" + picture
            + (f"<details><summary>the route as the solver described it (base units)</summary><ul>{route}</ul></details>"
               if route else ""))


def intents_page(rows: Sequence[dict[str, Any]], query: str) -> str:
    trs = [f"<tr><td><a href='/intents/{escape(r['id'])}'><code>{escape(r['id'][:18])}…</code></a></td>"
           f"<td><code>{_v(r['owner'])}</code></td><td>{_v(r['nonce'])}</td><td class='{_v(r['status'])}'>"
           f"{_v(r['status'])}</td><td>{_v(r['rounds'])}</td><td>{_v(r['reason'])}</td></tr>" for r in rows]
    title = f"Intents matching {query!r}" if query else "Intents"
    return page(title, table(("intent", "owner", "nonce", "status", "rounds", "reason"), trs))


def intent_page(view: dict[str, Any]) -> str:
    facts = (f"<p>owner <code>{_v(view['owner'])}</code> · nonce {_v(view['nonce'])} · status "
             f"<b class='{_v(view['status'])}'>{_v(view['status'])}</b></p>"
             f"<p class='why' id='why'>{_v(view['why'])}</p>")
    rounds = [f"<tr><td><a href='/rounds/{r['round']}'>#{r['round']}</a></td><td>{_v(r['status'])}</td>"
              f"<td>{'yes' if r['settledIt'] else 'no'}</td></tr>" for r in view["roundsEntered"]]
    fills = [f"<tr><td>{_v(f['execution'])}</td><td>{usd(f.get('givenUsd'))}</td><td>{usd(f.get('receivedUsd'))}</td>"
             f"<td>{_v(f['block'])}</td><td><code>{_v(f['txHash'])}</code></td></tr>" for f in view["fills"]]
    return page(f"Intent {view['id'][:18]}…", facts + settled_section(view) + "<h2>Rounds entered</h2>"
                + table(("round", "status", "settled it"), rounds) + "<h2>Fills (BatchSettled)</h2>"
                + table(("execution", "given (USD at clearing prices)", "received (USD at clearing prices)", "block", "tx"),
                        fills, "fills"))


def settled_section(view: dict[str, Any]) -> str:
    """What the settling round recorded of this intent: its fill, the prices it cleared at, the saving."""
    if view.get("settledIn") is None or view.get("saving") is None:
        return ""
    rid = view["settledIn"]
    filled = [f"<tr><td>{_v(f['symbol'])}</td><td>{f['amount']:+,.6f}</td><td>{usd(f['usd'])}</td></tr>"
              for f in view["filled"]]
    prices = [f"<tr><td>{_v(p['symbol'])}</td><td>{price(p['usdPerToken'])}</td></tr>" for p in view["clearingPrices"]]
    s = view["saving"]
    return (f"<h2>Settled in <a href='/rounds/{rid}'>round #{rid}</a></h2>"
            + table(("token", "filled (tokens, + received / − given)", "value at clearing price"), filled, "filled")
            + table(("token", "clearing price (USD per token)"), prices)
            + f"<p id='saving'>Its batch: {savings_sentence(s, s['batchIntents'])}</p>")


def sse(event: str, data: dict[str, Any]) -> bytes:
    """One server-sent event (`data` as one line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
