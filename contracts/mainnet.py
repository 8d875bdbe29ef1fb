"""Mainnet addresses and init-code hashes the local world reproduces. Pure data and CREATE2 math.

`deployment()` is mainnet as a `Deployment`: its tokens, feeds, Uniswap contracts, and the
pairs and pools the world spec names at their CREATE2 addresses. The local world is built
to equal it (plus keel's contracts), and a fork of a real network assumes it.
"""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address

from contracts import world_spec
from contracts.deployment import Deployment, Feed, KeelContracts, Pair, PoolKey, Token, Uniswap

TOKENS: dict[str, str] = {
    "WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    "DAI": "0x6B175474E89094C44Da98b954EedeAC495271d0F",
    "WBTC": "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
}

NATIVE = "WETH"  # the wrapped native token: its feed prices gas

UNISWAP = Uniswap(
    v2_factory="0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
    v2_router="0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D",
    v3_factory="0x1F98431c8aD98523631AE4a59f267346ea31F984",
    swap_router="0xE592427A0AEce92De3Edee1F18E0157C05861564",
    quoter="0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
    tick_lens="0xbfd8137f7d1516D3ea5cA83523914859ec47F573",
)

# Chainlink USD feeds on mainnet (WBTC priced by BTC/USD, as most integrations do).
FEEDS: dict[str, str] = {
    "WETH": "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
    "WBTC": "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c",
    "USDC": "0x8fFfFfd4AfB6115b954Bd326cbe7B4BA576818f6",
    "DAI": "0xAed0c38402a5d19df6E4c03F4E2DceD6e29c1ee9",
}
FEED_HEARTBEAT_S: dict[str, int] = {"WETH": 3600, "WBTC": 3600, "USDC": 86400, "DAI": 3600}

V2_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"
V3_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"

# A few pair/pool addresses exactly as mainnet has them, to check the CREATE2 math itself.
KNOWN_V2_PAIRS: dict[tuple[str, str], str] = {
    ("USDC", "WETH"): "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc",
    ("DAI", "WETH"): "0xA478c2975Ab1Ea89e8196811F51A7B7Ade33eB11",
    ("WBTC", "WETH"): "0xBb2b8038a1640196FbE3e38816F3e67Cba72D940",
}
KNOWN_V3_POOLS: dict[tuple[str, str, int], str] = {
    ("USDC", "WETH", 500): "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
    ("USDC", "WETH", 3000): "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8",
    ("WBTC", "WETH", 3000): "0xCBCdF9626bC03E24f779434178A73a0B4bad62eD",
}


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def _create2(deployer: str, salt: bytes, init_code_hash: str) -> str:
    raw = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + bytes.fromhex(init_code_hash[2:]))
    return to_checksum_address(raw[12:])


def v2_pair_address(token_a: str, token_b: str, factory: str = UNISWAP.v2_factory) -> str:
    t0, t1 = sort_tokens(token_a, token_b)
    salt = keccak(bytes.fromhex(t0[2:]) + bytes.fromhex(t1[2:]))
    return _create2(factory, salt, V2_INIT_CODE_HASH)


def v3_pool_address(token_a: str, token_b: str, fee: int, factory: str = UNISWAP.v3_factory) -> str:
    t0, t1 = sort_tokens(token_a, token_b)
    salt = keccak(bytes(12) + bytes.fromhex(t0[2:]) + bytes(12) + bytes.fromhex(t1[2:]) + fee.to_bytes(32, "big"))
    return _create2(factory, salt, V3_INIT_CODE_HASH)


def deployment(keel: KeelContracts | None = None, v3_seeder: str | None = None) -> Deployment:
    """Mainnet's addresses as a `Deployment`: the world spec's pairs and pools at their CREATE2 addresses."""
    tokens = {s: Token(s, TOKENS[s], world_spec.DECIMALS[s]) for s in TOKENS}
    feeds = {s: Feed(s, address, FEED_HEARTBEAT_S[s]) for s, address in FEEDS.items()}
    base = Deployment(tokens, NATIVE, feeds, UNISWAP)
    v2: dict[Pair, str] = {base.pair(p.a, p.b): v2_pair_address(TOKENS[p.a], TOKENS[p.b]) for p in world_spec.V2_PAIRS}
    v3: dict[PoolKey, str] = {PoolKey(base.pair(p.a, p.b), p.fee): v3_pool_address(TOKENS[p.a], TOKENS[p.b], p.fee)
                              for p in world_spec.V3_POOLS}
    return Deployment(tokens, NATIVE, feeds, UNISWAP, v2, v3, keel, v3_seeder)
