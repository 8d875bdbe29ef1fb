"""The balances band in keel's joint bound: an intent settles only with its outcome inside its band.

The bound's program (`solver.joint`, bound modes) leaves every outcome out, so an intent that no
settlement can bring into its band (a hedge that must buy 0.98 WETH with $2,123 of USDC) still
trades there and earns allowance (on the 100-user bench batch, ~$38 of the bound for an intent
the clearing rightly drops). For a balances intent the band is linear in token units, so the
bound can keep it, as the convex hull of "not settled" and "settled":

- a column z in [0, 1] (1: settled), each sell at most z times the balance (`sell_t <= h_t z`);
- per banded token, the owner's change inside the band scaled by z:
  (min_t - b_t) z <= q_t + g_t <= (max_t - b_t) z, in value at reference prices;
- g_t >= 0: tokens the settlement hands the owner outside the execution's flows (a solver may
  point a router swap's recipient at the owner: the contract checks the outcome on the owner's
  balances, the score counts only the flows), paid out of the settlement's own balance of t
  (its conservation row).

Why it still bounds every settlement: an unsettled intent maps to z = 0 (no flows, no gift); a
settled one to z = 1 with its flows and whatever the settlement delivered it otherwise, and its
band holds on the owner's final balance — provided the owner has no other intent in the batch
(another execution's flows would move the same balances), so the rows go only to owners with
one intent. Every row is homogeneous in (z, flows, g), so the mixture's perspective leaves them
as they are. Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from intents.model import IntentKind
from keel.units import USD_PRICE_SCALE
from solver.joint import Built, JointIntent
from solver.scoring import UNBOUNDED


def add_balance_bands(built: Built, intents: list[JointIntent], prices: Mapping[str, int]) -> int:
    """Add the band's columns and rows (in place) for each balances intent whose owner has no
    other intent in `intents`; returns how many intents got them."""
    owners: dict[str, int] = {}
    for ji in intents:
        owners[ji.intent.owner] = owners.get(ji.intent.owner, 0) + 1
    m = built.model
    conserve = {name[len("conserve_"):]: coefs for name, _, _, coefs in m.rows if name.startswith("conserve_")}
    banded = 0
    for k, ji in enumerate(intents):
        intent = ji.intent
        if intent.kind != IntentKind.BALANCES or owners[intent.owner] > 1 or ji.id not in built.cols:
            continue
        per = built.cols[ji.id]
        z = m.col(f"settled_{k}", 0.0, 1.0)
        for j, t in enumerate(intent.tokens):
            sell, buy = per[t]
            m.row(f"sell_if_settled_{k}_{j}", -math.inf, 0.0, {sell: 1.0, z: -m.upper[sell]})
            if intent.max_balance[j] >= UNBOUNDED and intent.min_balance[j] <= 0:
                continue
            unit = prices[t] / USD_PRICE_SCALE / built.scale  # a base unit's value, in units of S
            held = ji.held_usd[t] / built.scale
            gift = m.col(f"gift_{k}_{j}")
            conserve.setdefault(t, {})[gift] = -1.0
            change = {buy: 1.0, sell: -1.0, gift: 1.0}
            m.row(f"band_lo_{k}_{j}", 0.0, math.inf, {**change, z: held - intent.min_balance[j] * unit})
            if intent.max_balance[j] < UNBOUNDED:
                m.row(f"band_hi_{k}_{j}", -math.inf, 0.0, {**change, z: held - intent.max_balance[j] * unit})
        banded += 1
    return banded
