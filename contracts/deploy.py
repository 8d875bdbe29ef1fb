"""Deploy keel's settlement contracts and give the relayer the users' approvals.

`deploy_keel` deploys `SolverAllowList(owner)`, allow-lists each solver, then deploys
`BatchSettlement(allowList, owner, feeRecipient)`, which creates its own `Relayer`, and binds
the allow-list to it (every edit of the list is mirrored into the settlement's configuration).
`allow_routers` has the owner list the DEX routers as the only interaction targets and give
the settlement's standing allowances to them (no solver can grant one); `set_price_feeds`
has the owner name each token's oracle feed (oracle-guarded intents need one). It sends from
`owner` through the node's unlocked accounts (anvil's dev accounts), so it is for local
and forked chains. `approve_relayer` signs each user's `approve(relayer, max)` with the
user's key, so it works for any account whose key the caller holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.artifacts import keel, npm
from contracts.deployment import KeelContracts
from keel.errors import ChainError, UsageError

MAX_UINT256 = 2**256 - 1

# The relayer of the last `deploy_keel` per chain id, so that `approve_relayer` called right
# after it (as the world build does) needs no address.
_LAST_RELAYER: dict[int, str] = {}

_APPROVE_ABI = [
    {
        "name": "approve",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    }
]


def _wait(w3: Any, tx_hash: Any, what: str) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1:
        raise ChainError(f"deploying keel: {what} reverted (tx {tx_hash.hex()})")
    return receipt


def _deploy(w3: Any, name: str, sender: str, *args: Any) -> str:
    artifact = keel(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = _wait(w3, factory.constructor(*args).transact({"from": sender}), f"{name} constructor")
    return str(receipt["contractAddress"])


def deploy_keel(w3: Any, owner: str, solvers: Sequence[str], fee_recipient: str | None = None) -> KeelContracts:
    """Deploy the allow-list, the settlement and its relayer; return their checksummed addresses.

    `owner` (an unlocked account on the node) owns the allow-list and may pause the
    settlement; every address in `solvers` is allow-listed; `fee_recipient` (default: the
    owner) receives what batches leave over.
    """
    from web3 import Web3

    if not Web3.is_address(owner):
        raise UsageError(f"owner: {owner!r} is not an address")
    owner = Web3.to_checksum_address(owner)
    allow_list = _deploy(w3, "SolverAllowList", owner, owner)
    registry = w3.eth.contract(address=allow_list, abi=keel("SolverAllowList").abi)
    for i, solver in enumerate(solvers):
        if not Web3.is_address(solver):
            raise UsageError(f"solvers[{i}]: {solver!r} is not an address")
        tx = registry.functions.addSolver(Web3.to_checksum_address(solver)).transact({"from": owner})
        _wait(w3, tx, f"addSolver({solver})")
    recipient = owner if fee_recipient is None else fee_recipient
    if not Web3.is_address(recipient):
        raise UsageError(f"fee_recipient: {recipient!r} is not an address")
    settlement = _deploy(w3, "BatchSettlement", owner, allow_list, owner, Web3.to_checksum_address(recipient))
    contract = w3.eth.contract(address=settlement, abi=keel("BatchSettlement").abi)
    # the allow-list mirrors its solvers into the settlement's configuration from now on
    _wait(w3, registry.functions.bind(settlement).transact({"from": owner}), "bind(settlement)")
    relayer = Web3.to_checksum_address(contract.functions.relayer().call())
    _LAST_RELAYER[int(w3.eth.chain_id)] = relayer
    return KeelContracts(settlement=settlement, relayer=relayer, allow_list=allow_list)


def allow_routers(w3: Any, settlement: str, owner: str, routers: list[str], tokens: list[str]) -> None:
    """The settlement's owner lists `routers` as interaction targets and gives each a standing
    maximum allowance of every token in `tokens` (sent from the unlocked `owner`)."""
    from web3 import Web3

    contract = w3.eth.contract(address=Web3.to_checksum_address(settlement), abi=keel("BatchSettlement").abi)
    for router in routers:
        router = Web3.to_checksum_address(router)
        _wait(w3, contract.functions.setInteractionTarget(router, True).transact({"from": owner}),
              f"setInteractionTarget({router})")
        for token in tokens:
            tx = contract.functions.setAllowance(Web3.to_checksum_address(token), router, MAX_UINT256)
            _wait(w3, tx.transact({"from": owner}), f"setAllowance({token}, {router})")


def list_pool_targets(w3: Any, settlement: str, owner: str, factory: str, pairs: Sequence[tuple[str, str]]) -> None:
    """The settlement's owner lists `factory`'s V2 pair of each token pair as a pool target (the
    contract checks the pair's CREATE2 address against the npm pair's init code hash): a closed
    batch may then pay the pair up front and call its own `swap`. Sent from the unlocked `owner`."""
    from web3 import Web3

    contract = w3.eth.contract(address=Web3.to_checksum_address(settlement), abi=keel("BatchSettlement").abi)
    init_code_hash = v2_pair_init_code_hash()
    for a, b in pairs:
        tx = contract.functions.setPoolTarget(Web3.to_checksum_address(factory), init_code_hash,
                                              Web3.to_checksum_address(a), Web3.to_checksum_address(b), True)
        _wait(w3, tx.transact({"from": owner}), f"setPoolTarget({a}, {b})")


def v2_pair_init_code_hash() -> bytes:
    """keccak256 of the npm Uniswap V2 pair's creation code: what its factory's CREATE2 hashes."""
    from eth_utils import keccak

    return bytes(keccak(bytes.fromhex(npm("UniswapV2Pair").bytecode.removeprefix("0x"))))


def set_price_feeds(w3: Any, settlement: str, owner: str, feeds: Sequence[tuple[str, str, int, int]]) -> None:
    """The settlement's owner sets each token's Chainlink-style feed, `(token, feed, heartbeat_s,
    token_decimals)`, so that oracle-guarded intents can settle (sent from the unlocked `owner`)."""
    from web3 import Web3

    contract = w3.eth.contract(address=Web3.to_checksum_address(settlement), abi=keel("BatchSettlement").abi)
    for token, feed, heartbeat_s, decimals in feeds:
        tx = contract.functions.setPriceFeed(Web3.to_checksum_address(token), Web3.to_checksum_address(feed),
                                             heartbeat_s, decimals)
        _wait(w3, tx.transact({"from": owner}), f"setPriceFeed({token})")


def approve_relayer(w3: Any, user_keys: list[str], tokens: list[str], relayer: str | None = None) -> None:
    """Each user (by private key) approves `relayer` for the maximum amount of every token.

    `relayer` defaults to the relayer of the last `deploy_keel` on this chain. Transactions
    are signed locally and sent together, then awaited; any revert is a ChainError.
    """
    from eth_account import Account
    from web3 import Web3

    if relayer is None:
        relayer = _LAST_RELAYER.get(int(w3.eth.chain_id))
        if relayer is None:
            raise UsageError("relayer: no keel deployment on this chain yet; pass the Relayer address")
    relayer = Web3.to_checksum_address(relayer)
    chain_id = int(w3.eth.chain_id)
    gas_price = int(w3.eth.gas_price) * 2
    pending = []
    for key in user_keys:
        account = Account.from_key(key)
        nonce = w3.eth.get_transaction_count(account.address, "pending")
        for token in tokens:
            erc20 = w3.eth.contract(address=Web3.to_checksum_address(token), abi=_APPROVE_ABI)
            tx = erc20.functions.approve(relayer, MAX_UINT256).build_transaction(
                {"from": account.address, "nonce": nonce, "chainId": chain_id, "gas": 100_000, "gasPrice": gas_price}
            )
            signed = account.sign_transaction(tx)
            pending.append((w3.eth.send_raw_transaction(signed.raw_transaction), token))
            nonce += 1
    for tx_hash, token in pending:
        _wait(w3, tx_hash, f"approve({token})")
