"""What the intents package reads from the chain: balances, decimals, oracle feeds, EIP-1271, nonces.

The adapter beside the pure modules: every web3 call of `intents/` is here. Tokens and
their feeds come from the chain's `Deployment`; feeds are read by `contracts.feeds`.
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from contracts.deployment import Deployment
from contracts.feeds import read_round
from intents.build import TokenState
from intents.errors import IntentChainError, UnknownToken

ERC20_ABI = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "decimals", "type": "function", "stateMutability": "view",
     "inputs": [], "outputs": [{"name": "", "type": "uint8"}]},
]
ERC1271_ABI = [
    {"name": "isValidSignature", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
     "outputs": [{"name": "", "type": "bytes4"}]},
]
NONCE_ABI = [
    {"name": "isNonceSpent", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "owner_", "type": "address"}, {"name": "nonce", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]
EIP1271_MAGIC = bytes.fromhex("1626ba7e")
ALLOWANCE_ABI = [
    {"name": "allowance", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}]},
]
CALL_GAS_CAP = 500_000  # a wallet's isValidSignature (or a token's view) gets this much gas, no more


def token_states(w3: Any, deployment: Deployment, owner: str, symbols: list[str]) -> list[TokenState]:
    """Decimals, oracle price and `owner`'s balance for each symbol, in the order given."""
    known = deployment.priced()
    out = []
    for symbol in symbols:
        if symbol not in known:
            raise UnknownToken(f"token: {symbol} is not a token of this world (known: {', '.join(sorted(known))})",
                                 "token")
        address = known[symbol].address
        try:
            erc20 = w3.eth.contract(address=address, abi=ERC20_ABI)
            decimals = int(erc20.functions.decimals().call())
            balance = int(erc20.functions.balanceOf(to_checksum_address(owner)).call())
            answer = read_round(w3, deployment.feed(symbol).address).answer
        except Exception as exc:  # web3 raises many types for a dead RPC or a missing contract
            raise IntentChainError(f"chain: could not read {symbol} from {w3.provider.endpoint_uri} ({type(exc).__name__})") from None
        out.append(TokenState(symbol, address, decimals, answer, balance))
    return out


def feed_updated_at(w3: Any, deployment: Deployment, symbol: str) -> int:
    """When `symbol`'s feed last updated (unix seconds), for the stale-oracle breaker."""
    return read_round(w3, deployment.feed(symbol).address).updated_at_s


def chain_time(w3: Any) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def make_1271_checker(w3: Any, gas_cap: int = CALL_GAS_CAP) -> Any:
    """A `check_1271(owner, digest, signature) -> bool` that calls `owner.isValidSignature` on chain,
    with at most `gas_cap` gas (a wallet that burns more is simply not valid)."""

    def check(owner: str, digest: bytes, signature: bytes) -> bool:
        if not w3.eth.get_code(to_checksum_address(owner)):
            return False
        wallet = w3.eth.contract(address=to_checksum_address(owner), abi=ERC1271_ABI)
        try:
            answer = wallet.functions.isValidSignature(digest, signature).call({"gas": gas_cap})
            return bytes(answer) == EIP1271_MAGIC
        except Exception:  # a revert means "not valid", as the settlement contract reads it
            return False

    return check


def make_funds_reader(w3: Any, relayer: str, gas_cap: int = CALL_GAS_CAP) -> Any:
    """`funds(owner, tokens) -> [(balance, allowance to relayer)]`, one pair per token, each call gas-capped."""
    spender = to_checksum_address(relayer)

    def funds(owner: str, tokens: list[str]) -> list[tuple[int, int]]:
        out = []
        for token in tokens:
            erc20 = w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI + ALLOWANCE_ABI)
            try:
                balance = int(erc20.functions.balanceOf(to_checksum_address(owner)).call({"gas": gas_cap}))
                allowance = int(erc20.functions.allowance(to_checksum_address(owner), spender).call({"gas": gas_cap}))
            except Exception as exc:  # a token that reverts or a dead RPC
                raise IntentChainError(f"chain: could not read {token} for {owner} ({type(exc).__name__})") from None
            out.append((balance, allowance))
        return out

    return funds


def make_nonce_checker(w3: Any, settlement: str) -> Any:
    """`nonce_spent(owner, nonce) -> bool` from the settlement contract."""
    contract = w3.eth.contract(address=to_checksum_address(settlement), abi=NONCE_ABI)

    def spent(owner: str, nonce: int) -> bool:
        return bool(contract.functions.isNonceSpent(to_checksum_address(owner), nonce).call())

    return spent
