"""Wire the orderbook to its storage and a chain: the database, chain id, settlement, world
tokens, EIP-1271 and nonce checks.

Storage: `--db` (or `KEEL_DB`, which the CLI reads with the usual flag > env > keel.toml
precedence) is a sqlite path, a `sqlite:///` URL or a `postgresql://` URL; without one,
`.keel/orderbook.db`. Several `keel node serve` processes may share one Postgres URL.

Chain: flags win; otherwise the running `keel chain` supplies them. With an RPC URL, the
relayer whose allowance admission checks is read from the settlement contract itself
(`relayer()`); a settlement without one is refused at start. Without any chain the node
still runs (EOA intents only, no balance/allowance/nonce admission — printed at start) when
both --chain-id and --settlement are given, using mainnet's `Deployment` (the token
addresses the world reproduces).
"""

from __future__ import annotations

from typing import Any

from intents.errors import IntentError
from intents.model import checksum
from keel.db import Location, parse_location
from keel.paths import state_dir
from orderbook.api import OrderbookConfig

RELAYER_ABI = [{"name": "relayer", "type": "function", "stateMutability": "view", "inputs": [],
                "outputs": [{"name": "", "type": "address"}]}]


def database_location(db: str | None) -> Location:
    """Where the orderbook keeps its intents: `db` if given, else `.keel/orderbook.db`.

    A value keel cannot open is a one-line `DbError` naming `db`; print `.shown` (never the
    raw URL: it may carry a password).
    """
    return parse_location(db if db else str(state_dir() / "orderbook.db"))


def read_relayer(w3: Any, settlement: str, rpc_url: str) -> str:
    """`settlement.relayer()` on chain (gas-capped), or an `IntentError` naming `settlement`: an
    orderbook with a chain never runs with balance and allowance admission silently off."""
    from web3 import Web3

    from intents.chain import CALL_GAS_CAP

    contract = w3.eth.contract(address=settlement, abi=RELAYER_ABI)
    try:
        relayer = contract.functions.relayer().call({"gas": CALL_GAS_CAP})
    except Exception as exc:
        raise IntentError(f"settlement: could not read relayer() from {settlement} at {rpc_url} "
                          f"({type(exc).__name__}); is it keel's BatchSettlement on that chain?", "settlement") from None
    if not Web3.is_address(relayer) or int(str(relayer), 16) == 0:
        raise IntentError(f"settlement: {settlement} reports no relayer", "settlement")
    return str(Web3.to_checksum_address(relayer))


def admission(config: OrderbookConfig) -> str:
    """One line saying which admission checks this orderbook runs (printed at start)."""
    if config.funds is None:
        return "admission: signature and per-owner cap only — no --rpc-url, so balances, allowances and nonces are NOT checked"
    return "admission: signature, nonce, balance and relayer allowance on chain, per-owner cap"


def orderbook_config(chain_id: int | None, settlement: str | None, rpc_url: str | None) -> OrderbookConfig:
    from contracts import mainnet

    world = None
    if chain_id is None or settlement is None or rpc_url is None:
        try:
            from contracts.chain import current_world

            world = current_world()
        except Exception:
            if chain_id is None or settlement is None:
                raise
    deployment = world.deployment if world is not None else mainnet.deployment()
    if world is not None:
        chain_id = chain_id if chain_id is not None else world.chain_id
        settlement = settlement or (deployment.keel.settlement if deployment.keel else None)
        rpc_url = rpc_url or world.rpc_url
    if not settlement:
        raise IntentError("settlement: no BatchSettlement known; pass --settlement ADDRESS", "settlement")
    settlement = checksum(settlement, "settlement")
    tokens = {t.address: t.symbol for t in deployment.tokens.values()}
    check_1271 = nonce_spent = funds = None
    if rpc_url:
        from web3 import Web3

        from intents.chain import make_1271_checker, make_funds_reader, make_nonce_checker

        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))  # below the API's chain timeout
        check_1271 = make_1271_checker(w3)
        nonce_spent = make_nonce_checker(w3, settlement)
        # admission needs the allowance to *this* settlement's relayer: read it from the contract,
        # never from the local world (whose settlement a --settlement flag may have replaced)
        funds = make_funds_reader(w3, read_relayer(w3, settlement, rpc_url))
    assert chain_id is not None
    return OrderbookConfig(int(chain_id), settlement, tokens, check_1271=check_1271, nonce_spent=nonce_spent,
                           funds=funds, decimals={t.address: t.decimals for t in deployment.tokens.values()})
