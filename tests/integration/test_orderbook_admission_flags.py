"""`keel node serve --chain-id --settlement --rpc-url` keeps balance and allowance admission on.

Review of issue 14: given the three flags, the orderbook took the relayer only from the local
world and silently ran without admission. Now the relayer comes from the settlement contract
on chain; a settlement that has none is refused at start. Real anvil fork, loopback.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from intents.errors import IntentError
from orderbook.node import admission, orderbook_config, read_relayer


def test_flags_only_still_check_funds_against_the_settlements_own_relayer(chain: Any) -> None:
    w3 = chain.web3()
    relayer = read_relayer(w3, chain.settlement, chain.rpc_url)
    assert relayer == chain.deployment.keel.relayer
    config = orderbook_config(chain.chain_id, chain.settlement, chain.rpc_url)
    assert config.funds is not None and "allowance" in admission(config)
    usdc = next(t.address for t in chain.deployment.tokens.values() if t.symbol == "USDC")
    fresh = Account.create().address
    assert config.funds(fresh, [usdc]) == [(0, 0)]  # an unfunded owner reads as such: admission refuses it


def test_a_settlement_without_a_relayer_is_refused_at_start(chain: Any) -> None:
    not_settlement = next(t.address for t in chain.deployment.tokens.values() if t.symbol == "USDC")
    with pytest.raises(IntentError) as exc:
        orderbook_config(chain.chain_id, not_settlement, chain.rpc_url)
    assert exc.value.field == "settlement" and "\n" not in str(exc.value)
