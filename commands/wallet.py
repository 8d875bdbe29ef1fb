"""A user's wallet on the chain keel talks to: the default account, the local faucet, approvals, allowances.

- `default_account()` / `use_account(name)`: the account used when no `--account`, `KEEL_ACCOUNT`
  or `account =` in keel.toml is given, kept in `<KEEL_HOME>/account` (a name, never a key).
- `resolve_account(flag)`: the flag's value, else the default; a one-line UsageError naming
  `account` when there is neither.
- `fund(world, to, eth, tokens)`: the local faucet. Transfers from the world's deployer (an anvil
  account that holds each token's float), so it works only on keel's local world (chain id 31337):
  on a fork of a real network it is refused, as no one there holds unlocked funds for you.
- `approve(world, key, symbols)`: `approve(relayer, max)` of each token, signed with the user's key.
- `allowance(world, owner, symbol)`: what the relayer may pull from `owner`, in base units.
Amounts are integer base units; whole-token inputs are converted by `to_base_units` (rounds down).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from keel.errors import NotFoundError, RefusedError, UsageError
from keel.paths import state_dir

LOCAL_CHAIN_ID = 31337
ERC20_ABI = [
    {"name": "allowance", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "transfer", "type": "function", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "v", "type": "uint256"}], "outputs": [{"name": "", "type": "bool"}]},
]
# What `keel account fund NAME` gives when no amount is named: enough to try every README command.
DEFAULT_FUNDING = {"ETH": "10", "WETH": "10", "USDC": "30000", "WBTC": "0.5"}


def _default_path() -> Path:
    return state_dir() / "account"


def default_account() -> str | None:
    path = _default_path()
    return path.read_text().strip() or None if path.exists() else None


def use_account(name: str) -> str:
    """Make `name` (a keystore name or address) the default account; returns its address."""
    from intents import keystore

    entry = keystore.find(name)
    _default_path().parent.mkdir(parents=True, exist_ok=True)
    _default_path().write_text(entry.name + "\n")
    return entry.address


def resolve_account(flag: str | None) -> str:
    if flag:
        return flag
    default = default_account()
    if default:
        return default
    raise UsageError("account: none given; pass --account NAME, set KEEL_ACCOUNT, or run `keel account use NAME`",
                     "account")


def to_base_units(text: str, decimals: int, field: str) -> int:
    """'1.5' whole tokens -> base units, rounding down (never gives more than asked)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{field}: {text!r} is not a number", field) from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{field}: {text!r} must be a positive amount", field)
    return int(value * (Decimal(10) ** decimals))


def parse_amounts(pairs: list[str], known: dict[str, int], field: str) -> dict[str, int]:
    """['WETH=2', 'ETH=1'] -> {symbol: base units}; `known` maps symbols (and ETH) to decimals."""
    out: dict[str, int] = {}
    for pair in pairs:
        symbol, sep, amount = pair.partition("=")
        symbol = symbol.strip().upper()
        if not sep:
            raise UsageError(f"{field}: {pair!r} must look like SYMBOL=AMOUNT (e.g. WETH=2)", field)
        if symbol not in known:
            raise NotFoundError(f"{field}: {symbol} is not a token of this world (known: {', '.join(sorted(known))})",
                                field)
        out[symbol] = to_base_units(amount, known[symbol], field)
    return out


def _erc20(w3: Any, address: str) -> Any:
    return w3.eth.contract(address=address, abi=ERC20_ABI)


def fund(world: Any, to: str, amounts: dict[str, int]) -> dict[str, int]:
    """Send `amounts` (base units; 'ETH' is native) from the world's deployer to `to`; local chain only."""
    from eth_utils import to_checksum_address

    if int(world.chain_id) != LOCAL_CHAIN_ID:
        raise RefusedError(f"chain: the faucet works only on keel's local world (chain id {LOCAL_CHAIN_ID}); "
                           f"this chain is {world.chain_id}: fund {to} from a wallet you own", "chain")
    w3 = world.web3()
    source, to = to_checksum_address(world.deployer.address), to_checksum_address(to)
    for symbol, amount in amounts.items():
        if symbol == "ETH":
            tx = {"from": source, "to": to, "value": amount}
        else:
            token = _erc20(w3, world.deployment.tokens[symbol].address)
            held = int(token.functions.balanceOf(source).call())
            if held < amount:
                raise RefusedError(f"amount: the faucet holds {held} base units of {symbol}, {amount} asked", "amount")
            tx = token.functions.transfer(to, amount).build_transaction({"from": source})
        _wait(w3, w3.eth.send_transaction(tx), f"fund {symbol}")
    return amounts


def approve(world: Any, private_key: str, symbols: list[str]) -> str:
    """Each token approves keel's relayer for the maximum; returns the relayer's address."""
    from contracts.deploy import approve_relayer

    relayer = relayer_of(world)
    approve_relayer(world.web3(), [private_key], [world.deployment.tokens[s].address for s in symbols], relayer)
    return relayer


def relayer_of(world: Any) -> str:
    if world.deployment.keel is None:
        raise RefusedError("relayer: this chain has no keel deployment; run `keel chain up` (the local world)",
                           "relayer")
    return str(world.deployment.keel.relayer)


def allowance(world: Any, owner: str, symbol: str) -> int:
    from eth_utils import to_checksum_address

    token = _erc20(world.web3(), world.deployment.tokens[symbol].address)
    return int(token.functions.allowance(to_checksum_address(owner), to_checksum_address(relayer_of(world))).call())


def _wait(w3: Any, tx_hash: Any, what: str) -> None:
    from keel.errors import ChainError

    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if receipt["status"] != 1:
        raise ChainError(f"chain: {what} reverted (tx {receipt['transactionHash'].hex()})")
