"""Build, cache and describe the mainnet-shaped local world.

The world is built once on a scratch anvil — tokens, Uniswap V2/V3 and oracle feeds at
their mainnet addresses, pairs and pools created through the real factories (so their
CREATE2 addresses equal mainnet's), liquidity in several tick ranges, V3 pools with room for `world_spec.OBSERVATION_CARDINALITY`
oracle observations (so `observe()` gives a TWAP), ten users with
different portfolios, and keel's own contracts (with the oracle feeds set on the settlement, for oracle-guarded
intents) — then dumped to an anvil state file
under `build/world/<hash>/`, where the hash covers everything that built it. Later runs
load that file in a fraction of a second.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import anvil, mainnet, world_spec
from contracts.artifacts import Artifact, keel, npm
from contracts.deployment import Deployment, KeelContracts
from keel.errors import SetupError
from keel.paths import build_dir, node_modules
from keel.units import FEED_DECIMALS

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEPLOYER_INDEX = 0
USER_INDICES = tuple(range(1, 11))
SOLVER_INDICES = (11, 12, 13)
DEADLINE_FAR = 2**32 - 1

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Account:
    """A world account. Its key is an anvil test key: never printed, never logged."""

    address: str
    private_key: str = field(repr=False)


@dataclass(frozen=True)
class World:
    rpc_url: str
    chain_id: int
    deployment: Deployment
    users: tuple[Account, ...]
    deployer: Account
    solvers: tuple[Account, ...]

    def token(self, symbol: str) -> str:
        """The address of the token `symbol` (UnknownName if the world has none)."""
        return self.deployment.token(symbol).address

    @property
    def tokens(self) -> dict[str, str]:
        """symbol -> address of every token of the world."""
        return {s: t.address for s, t in self.deployment.tokens.items()}

    @property
    def settlement(self) -> str:
        return self.deployment.settlement

    def public(self) -> dict[str, Any]:
        """What `keel chain world --json` prints: addresses, never keys."""
        return {
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "deployment": self.deployment.to_json(),
            "users": [u.address for u in self.users],
            "deployer": self.deployer.address,
            "solvers": [s.address for s in self.solvers],
        }

    def with_rpc(self, rpc_url: str, chain_id: int | None = None) -> World:
        return World(rpc_url, chain_id or self.chain_id, self.deployment, self.users, self.deployer, self.solvers)

    def web3(self) -> Any:
        from web3 import Web3

        return Web3(Web3.HTTPProvider(self.rpc_url, request_kwargs={"timeout": 60}))


def anvil_account(index: int) -> Account:
    from eth_account import Account as EthAccount

    EthAccount.enable_unaudited_hdwallet_features()
    acct = EthAccount.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return Account(acct.address, acct.key.hex())


def world_hash() -> str:
    """Hash of everything that builds the world: this code, the spec, the npm lock, keel's sources."""
    from contracts.compile import source_hash

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("world.py", "world_spec.py", "mainnet.py", "deployment.py", "deploy.py", "anvil.py"):
        path = here / name
        if path.exists():
            h.update(path.read_bytes())
    lock = node_modules().parent / "package-lock.json"
    if lock.exists():
        h.update(lock.read_bytes())
    h.update(source_hash().encode())
    return h.hexdigest()[:16]


def world_dir() -> Path:
    return build_dir() / "world" / world_hash()


def ensure_built(progress: Progress | None = None, force: bool = False) -> Path:
    """Build the world's state file if it is not cached; return its folder (state.json, world.json)."""
    target = world_dir()
    if not force and (target / "world.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others reuse its result
        if not force and (target / "world.json").exists():
            return target
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        node = anvil.start(accounts=20, balance_eth=100_000_000)
        try:
            meta = _Builder(node.url, progress or (lambda _m: None)).build()
            raw = anvil.rpc(node.url, "anvil_dumpState", timeout=120)
        finally:
            anvil.stop(node.pid)
        state = gzip.decompress(bytes.fromhex(str(raw)[2:]))
        (tmp / "state.json").write_bytes(state)
        (tmp / "world.json").write_text(json.dumps(meta, indent=2))
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target


def load(folder: Path, rpc_url: str, chain_id: int) -> World:
    path = folder / "world.json"
    meta = json.loads(path.read_text())
    return World(
        rpc_url=rpc_url,
        chain_id=chain_id,
        deployment=Deployment.from_json(meta.get("deployment"), str(path)),
        users=tuple(anvil_account(i) for i in meta["user_indices"]),
        deployer=anvil_account(meta["deployer_index"]),
        solvers=tuple(anvil_account(i) for i in meta["solver_indices"]),
    )


class _Builder:
    """Populates a scratch anvil with the world. Uses anvil's unlocked dev accounts.

    Everything lands at mainnet's address (`mainnet.deployment()`), each pair and pool
    checked against its CREATE2 address as it is created; keel's contracts and the
    liquidity seeder are fresh deployments, recorded as they come.
    """

    def __init__(self, url: str, progress: Progress) -> None:
        from web3 import Web3

        self.w3: Any = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))  # raw RPC and cheatcodes
        self.progress = progress
        self.deployer = self.w3.eth.accounts[DEPLOYER_INDEX]
        self.mainnet = mainnet.deployment()
        self.seeder = ""
        self.keel: KeelContracts | None = None

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, fn: Any, sender: str | None = None, value: int = 0) -> Any:
        tx_hash = fn.transact({"from": sender or self.deployer, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise SetupError(f"world build: a transaction reverted ({fn.fn_name if hasattr(fn, 'fn_name') else fn})")
        return receipt

    def _deploy(self, artifact: Artifact, *args: Any) -> str:
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self._send(factory.constructor(*args))
        return str(receipt["contractAddress"])

    def _contract(self, artifact: Artifact, address: str) -> Any:
        return self.w3.eth.contract(address=address, abi=artifact.abi)

    def _place(self, artifact: Artifact, target: str, *args: Any, extra_slots: tuple[int, ...] = ()) -> str:
        """Deploy normally, then move runtime code and storage to `target` (a mainnet address).

        Runtime code keeps its immutables; any immutable that captured the deploy address
        (V3's no-delegatecall guard) is rewritten to the target address.
        """
        temp = self._deploy(artifact, *args)
        code = bytes(self.w3.eth.get_code(temp)).hex()
        code = code.replace(temp[2:].lower(), target[2:].lower())
        self.w3.provider.make_request("anvil_setCode", [target, "0x" + code])
        for slot in (*range(16), *extra_slots):
            value = self.w3.eth.get_storage_at(temp, slot)
            if int.from_bytes(value, "big"):
                self.w3.provider.make_request(
                    "anvil_setStorageAt", [target, "0x" + slot.to_bytes(32, "big").hex(), "0x" + bytes(value).hex()]
                )
        return target

    # -- the world ------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.progress("tokens")
        self._tokens()
        self.progress("Uniswap V2 and V3")
        self._uniswap()
        self.progress("oracle feeds")
        self._feeds()
        self.progress("liquidity")
        self._fund_deployer()
        self._v2_liquidity()
        self._v3_liquidity()
        self.progress("keel contracts")
        self._keel()
        self.progress("users")
        self._users()
        self.w3.provider.make_request("evm_mine", [])
        deployment = mainnet.deployment(keel=self.keel, v3_seeder=self.seeder)
        return {
            "deployment": deployment.to_json(),
            "deployer_index": DEPLOYER_INDEX,
            "user_indices": list(USER_INDICES),
            "solver_indices": list(SOLVER_INDICES),
            "world_hash": world_hash(),
        }

    def _tokens(self) -> None:
        self._place(npm("WETH9"), mainnet.TOKENS["WETH"])
        token = keel("WorldToken")
        for symbol in ("USDC", "DAI", "WBTC"):
            target = mainnet.TOKENS[symbol]
            self._place(token, target, world_spec.NAMES[symbol], symbol, world_spec.DECIMALS[symbol], self.deployer)

    def _uniswap(self) -> None:
        u = mainnet.UNISWAP
        weth = mainnet.TOKENS["WETH"]
        self._place(npm("UniswapV2Factory"), u.v2_factory, self.deployer)
        self._place(npm("UniswapV2Router02"), u.v2_router, u.v2_factory, weth)
        fee_slots = tuple(
            int.from_bytes(_keccak(fee.to_bytes(32, "big") + (4).to_bytes(32, "big")), "big") for fee in (500, 3000, 10000)
        )
        self._place(npm("UniswapV3Factory"), u.v3_factory, extra_slots=fee_slots)
        v3 = self._contract(npm("UniswapV3Factory"), u.v3_factory)
        self._send(v3.functions.enableFeeAmount(100, 1))
        self._place(npm("SwapRouter"), u.swap_router, u.v3_factory, weth)
        self._place(npm("QuoterV2"), u.quoter, u.v3_factory, weth)
        self._place(npm("TickLens"), u.tick_lens)
        self.seeder = self._deploy(keel("V3LiquiditySeeder"))

    def _feeds(self) -> None:
        feed = keel("PriceFeed")
        for symbol, target in mainnet.FEEDS.items():
            label = "ETH" if symbol == "WETH" else "BTC" if symbol == "WBTC" else symbol
            self._place(feed, target, self.deployer, FEED_DECIMALS, f"{label} / USD", world_spec.feed_answer(symbol))

    def _fund_deployer(self) -> None:
        weth = self._contract(npm("WETH9"), mainnet.TOKENS["WETH"])
        self._send(weth.functions.deposit(), value=world_spec.base_units("WETH", 60_000))
        token = keel("WorldToken")
        for symbol in ("USDC", "DAI", "WBTC"):
            amount = world_spec.base_units(symbol, 200_000_000 / world_spec.USD_PRICE[symbol])
            self._send(self._contract(token, mainnet.TOKENS[symbol]).functions.mint(self.deployer, amount))
        spenders = (mainnet.UNISWAP.v2_router, self.seeder)
        erc20 = keel("WorldToken")
        for symbol in world_spec.DECIMALS:
            contract = self._contract(erc20, mainnet.TOKENS[symbol])
            for spender in spenders:
                self._send(contract.functions.approve(spender, 2**256 - 1))

    def _v2_liquidity(self) -> None:
        router = self._contract(npm("UniswapV2Router02"), mainnet.UNISWAP.v2_router)
        factory = self._contract(npm("UniswapV2Factory"), mainnet.UNISWAP.v2_factory)
        for pair in world_spec.V2_PAIRS:
            a, b = mainnet.TOKENS[pair.a], mainnet.TOKENS[pair.b]
            half = pair.tvl_usd / 2
            amount_a = world_spec.base_units(pair.a, half / world_spec.USD_PRICE[pair.a])
            amount_b = world_spec.base_units(pair.b, half / world_spec.USD_PRICE[pair.b])
            self._send(router.functions.addLiquidity(a, b, amount_a, amount_b, 0, 0, self.deployer, DEADLINE_FAR))
            address = factory.functions.getPair(a, b).call()
            expected = self.mainnet.v2_pair(pair.a, pair.b)
            if address != expected:
                raise SetupError(f"V2 pair {pair.a}/{pair.b} landed at {address}, not mainnet's {expected}")

    def _v3_liquidity(self) -> None:
        factory = self._contract(npm("UniswapV3Factory"), mainnet.UNISWAP.v3_factory)
        seeder = self._contract(keel("V3LiquiditySeeder"), self.seeder)
        pool_abi = npm("UniswapV3Pool")
        for spec in world_spec.V3_POOLS:
            a, b = mainnet.TOKENS[spec.a], mainnet.TOKENS[spec.b]
            pair = self.mainnet.pair(spec.a, spec.b)
            self._send(factory.functions.createPool(a, b, spec.fee))
            address = factory.functions.getPool(a, b, spec.fee).call()
            expected = self.mainnet.v3_pool(spec.a, spec.b, spec.fee)
            if address != expected:
                raise SetupError(f"V3 pool {spec.a}/{spec.b}/{spec.fee} landed at {address}, not mainnet's {expected}")
            price = world_spec.price_token1_per_token0(pair.token0, pair.token1)
            pool = self._contract(pool_abi, address)
            self._send(pool.functions.initialize(world_spec.sqrt_price_x96(price)))
            # room for a TWAP: a fresh pool keeps one observation, which every swap overwrites
            self._send(pool.functions.increaseObservationCardinalityNext(world_spec.OBSERVATION_CARDINALITY))
            value_token1 = spec.tvl_usd / world_spec.USD_PRICE[pair.token1] * 10 ** world_spec.DECIMALS[pair.token1]
            for half_width, share in spec.ranges:
                lower, upper = world_spec.position_ticks(price, half_width, spec.fee)
                liquidity = world_spec.liquidity_for_value(price, lower, upper, value_token1 * share)
                self._send(seeder.functions.mint(address, lower, upper, liquidity))

    def _keel(self) -> None:
        from contracts import deploy

        solvers = [self.w3.eth.accounts[i] for i in SOLVER_INDICES]
        self.keel = deploy.deploy_keel(self.w3, self.deployer, solvers)
        routers = [mainnet.UNISWAP.v2_router, mainnet.UNISWAP.swap_router]
        deploy.allow_routers(self.w3, self.keel.settlement, self.deployer, routers, list(mainnet.TOKENS.values()))
        deploy.list_pool_targets(self.w3, self.keel.settlement, self.deployer, mainnet.UNISWAP.v2_factory,
                                 [(mainnet.TOKENS[p.a], mainnet.TOKENS[p.b]) for p in world_spec.V2_PAIRS])
        feeds = self.mainnet.feeds
        deploy.set_price_feeds(self.w3, self.keel.settlement, self.deployer,
                               [(mainnet.TOKENS[s], feeds[s].address, feeds[s].heartbeat_s, world_spec.DECIMALS[s])
                                for s in world_spec.DECIMALS])

    def _users(self) -> None:
        from contracts import deploy

        token = keel("WorldToken")
        weth = self._contract(npm("WETH9"), mainnet.TOKENS["WETH"])
        for index, portfolio in zip(USER_INDICES, world_spec.USER_PORTFOLIOS, strict=True):
            user = self.w3.eth.accounts[index]
            for symbol, whole in portfolio.items():
                amount = world_spec.base_units(symbol, whole)
                if symbol == "WETH":
                    self._send(weth.functions.deposit(), sender=user, value=amount)
                else:
                    self._send(self._contract(token, mainnet.TOKENS[symbol]).functions.mint(user, amount))
            self.w3.provider.make_request("anvil_setBalance", [user, hex(world_spec.USER_GAS_ETH * 10**18)])
        assert self.keel is not None  # _keel ran first
        users = [anvil_account(i) for i in USER_INDICES]
        deploy.approve_relayer(self.w3, [u.private_key for u in users], self.mainnet.token_addresses(),
                               relayer=self.keel.relayer)


def _keccak(data: bytes) -> bytes:
    from eth_utils import keccak as k

    return k(data)
