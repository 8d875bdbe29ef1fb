"""Many funded users on the fork, cheaply: token balances and relayer allowances written
straight into the tokens' storage (`anvil_setStorageAt`), no transactions.

Used by the benches and the large-round tests. `fund(world, count, rng, symbols=…)` gives
each user every token in `symbols` (or, with `symbols=None`, each world token with
probability 0.8, as `bench/auction.py` does), worth $1k–$200k each at the world's prices.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from eth_account import Account
from eth_utils import keccak

from bench.auction import ALLOWANCE_SLOT, BALANCE_SLOT, nested_slot, slot
from contracts import world_spec
from contracts.world import World

User = tuple[Any, dict[str, int]]  # (eth_account LocalAccount, symbol -> base units held)


def fund(world: World, count: int, rng: random.Random, symbols: Sequence[str] | None = None,
         label: str = "crowd", draw: Callable[[random.Random], dict[str, int]] | None = None) -> list[User]:
    """`count` fresh users (keys derived from `label`), funded and approved for keel's relayer.
    `draw(rng)` gives a user's holdings (symbol -> base units) when the caller has its own recipe."""
    relayer = world.deployment.relayer
    users: list[User] = []
    requests: list[tuple[str, list[Any]]] = []
    for i in range(count):
        acct = Account.from_key(keccak(text=f"keel-{label}-user-{i}"))
        if draw is not None:
            holdings = draw(rng)
        else:
            chosen = list(symbols) if symbols is not None else [s for s in world_spec.DECIMALS if rng.random() < 0.8]
            holdings = {s: int(rng.uniform(1_000, 200_000) / world_spec.USD_PRICE[s] * 10 ** world_spec.DECIMALS[s])
                        for s in chosen}
        for symbol, amount in holdings.items():
            token = world.token(symbol)
            requests.append(("anvil_setStorageAt", [token, slot(acct.address, BALANCE_SLOT[symbol]),
                                                    "0x" + amount.to_bytes(32, "big").hex()]))
            requests.append(("anvil_setStorageAt", [token, nested_slot(acct.address, relayer, ALLOWANCE_SLOT[symbol]),
                                                    "0x" + (2**256 - 1).to_bytes(32, "big").hex()]))
        users.append((acct, holdings))
    w3 = world.web3()
    for start in range(0, len(requests), 500):  # JSON-RPC batches: thousands of writes in a second or two
        answers = w3.provider.make_batch_request(requests[start:start + 500])
        failed = [a for a in answers if "error" in a]
        if failed:
            raise RuntimeError(f"anvil_setStorageAt failed: {failed[0]['error']}")
    return users


def sign_intents(world: World, users: Sequence[User], rng: random.Random) -> list[Any]:
    """One signed intent per user (`bench/auction.py`'s mix: 80% weights, 20% delta hedges);
    a user whose drawn hedge no balance bound can express is skipped."""
    from bench.auction import intents_for
    from intents.errors import IntentError

    signed = []
    for user in users:
        try:
            signed += intents_for(world, [user], rng)
        except IntentError:
            continue
    return signed
