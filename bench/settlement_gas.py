"""Bench: gas per execution of keel's BatchSettlement against CoW Protocol's GPv2Settlement.

Both contracts are deployed by the bench on the same forked mainnet-shaped world, configured
alike, and run from the same snapshot on equivalent work:
  - configuration: each lists the Uniswap V2 router and the USDC/WETH V2 pair as interaction
    targets and holds a standing maximum WETH allowance to the router, set before measuring
    (keel's by its owner with `setInteractionTarget`/`setAllowance`, GPv2's by an approve
    interaction in an earlier settle; GPv2 may call any target). keel's settlement is the
    bench's own rather than the world's, whose owner also approved DAI, WBTC and USDC: every
    guarded token outside a batch costs a batch with interactions two balance reads (~5k gas,
    cold), a keel safety check GPv2 has no counterpart for, and the bench gives both
    contracts the same standing allowances;
  - 1 execution: one user sells 1 WETH for USDC in the real USDC/WETH Uniswap V2 pair, each
    contract in its cheapest way: keel names the pair as WETH's sink (the relayer moves the
    user's WETH straight into the pair) and calls `pair.swap(…, to=user)`, so the pool pays the
    user and the settlement pays nothing; keel's owner listed the pair as a pool target
    (`setPoolTarget`, proven by the factory's CREATE2 address), so that batch is closed and the
    contract's own balances are not read (SECURITY.md, "Where users' tokens go"); GPv2 pulls the WETH into its settlement, then
    `WETH.transfer(pair)` and `pair.swap(…, to=settlement)` interactions, then pays the user
    (GPv2 cannot pull to a pool, and its payout is not skipped). Until issue 13's netting the
    row went through the V2 router for both; the `1r` row still does (`--sizes 1r,…`): the
    router's `swapExactTokensForTokens` from the contract's allowance, output to the contract;
  - 2, 10, 50 executions: 1, 5, 25 pairs of users trading 1 WETH against USDC with each
    other at the reference price, no interaction at all (coincidences of wants): keel moves
    each matched amount user to user, GPv2 pulls every sell in and pays every buy out.
keel's users sign BALANCES intents over [USDC, WETH]; GPv2's sign fill-or-kill EIP-712 sell
orders with ERC-20 balances. GPv2Settlement, GPv2AllowListAuthentication and the vault
relayer are the npm `@cowprotocol/contracts` bytecode. Gas is the settle transaction's
`gasUsed` (base cost and calldata included) divided by the number of executions; the
ratio is keel / GPv2 (below 1.0 means keel is cheaper per trade). Calldata bytes per execution
are the settle transaction's input length divided by the number of executions, for both
(keel's compact executions, docs/interfaces.md; GPv2's ABI trades). keel checks every
outcome on chain in every run (BALANCES bounds on both tokens, value conservation, fee cap)
and logs one `BatchSettled` event with the intent ids (GPv2 logs a `Trade` per order); the
bench reads every settled intent back (`Settlement.executed`) and fails if one is missing.

Run: .venv/bin/python bench/settlement_gas.py [--sizes 1,1r,2,10,50] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak

from contracts import chain, deploy
from contracts.artifacts import keel, npm
from contracts.compile import build as compile_contracts
from contracts.interaction import Interaction
from contracts.settlement import SCHEME_EIP712, Settlement, make_batch
from intents.model import Intent, IntentKind
from intents.signing import sign_digest

E18 = 10**18
FAR = 2**32 - 1
UNBOUNDED = 2**256 - 1
BALANCER_VAULT = "0xBA12222222228d8Ba445958a75a0704d566BF2C8"  # no code here: ERC-20 balances never call it
ORDER_TYPEHASH = keccak(
    text="Order(address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,"
    "uint32 validTo,bytes32 appData,uint256 feeAmount,string kind,bool partiallyFillable,"
    "string sellTokenBalance,string buyTokenBalance)"
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, world: Any, traders: int) -> None:
        self.world = world
        self.w3 = world.web3()
        self.usdc, self.weth = world.token("USDC"), world.token("WETH")
        self.solver = world.solvers[0].address
        self.deployer = world.deployer.address
        self.keel = self._deploy_keel()
        # reference prices: USD per whole token * 1e30 / 10**decimals
        self.prices = {self.usdc: 10**24, self.weth: 3000 * 10**12}
        self.gp, self.gp_relayer = self._deploy_gpv2()
        self.keys = [keccak(text=f"keel-bench-trader-{i}").hex() for i in range(traders)]
        self.calldata: dict[str, int] = {}
        self.addrs = [Account.from_key(k).address for k in self.keys]
        self._fund()
        self._gpv2_router_allowance()

    # ---- set-up ---------------------------------------------------------------------------
    def _send(self, fn: Any, sender: str, value: int = 0) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "value": value}))
        assert receipt["status"] == 1, fn
        return receipt

    def _deploy_keel(self) -> Settlement:
        """A keel settlement of the bench's own, configured as GPv2 is below: the V2 router as
        its one interaction target, with a standing allowance of WETH only (the world's
        settlement also guards DAI, WBTC and USDC, which a batch with interactions re-reads)."""
        contracts = deploy.deploy_keel(self.w3, self.deployer, [self.solver])
        deploy.allow_routers(self.w3, contracts.settlement, self.deployer, [self.world.deployment.uniswap.v2_router],
                             [self.weth])
        settlement = Settlement(self.w3, contracts.settlement)
        # the pair is a pool target, proven by its factory's CREATE2 address: a batch whose one
        # interaction is its `swap` paying the user is closed (the contract's holdings unread)
        pool = settlement.contract.functions.setPoolTarget(
            self.world.deployment.uniswap.v2_factory, deploy.v2_pair_init_code_hash(), self.usdc, self.weth, True)
        self._send(pool, self.deployer)
        assert settlement.is_pool_target(self.world.deployment.v2_pair("USDC", "WETH"))
        return settlement

    def _deploy_gpv2(self) -> tuple[Any, str]:
        auth_art, gp_art = npm("GPv2AllowListAuthentication"), npm("GPv2Settlement")
        auth_factory = self.w3.eth.contract(abi=auth_art.abi, bytecode=auth_art.bytecode)
        auth = self.w3.eth.contract(address=self._send(auth_factory.constructor(), self.deployer)["contractAddress"],
                                    abi=auth_art.abi)
        self._send(auth.functions.initializeManager(self.deployer), self.deployer)
        self._send(auth.functions.addSolver(self.solver), self.deployer)
        gp_factory = self.w3.eth.contract(abi=gp_art.abi, bytecode=gp_art.bytecode)
        receipt = self._send(gp_factory.constructor(auth.address, BALANCER_VAULT), self.deployer)
        gp = self.w3.eth.contract(address=receipt["contractAddress"], abi=gp_art.abi)
        return gp, gp.functions.vaultRelayer().call()

    def _fund(self) -> None:
        weth = self.w3.eth.contract(address=self.weth, abi=npm("WETH9").abi)
        usdc = self.w3.eth.contract(address=self.usdc, abi=keel("WorldToken").abi)
        for addr in self.addrs:
            self.w3.provider.make_request("anvil_setBalance", [addr, hex(100 * E18)])
            self._send(weth.functions.transfer(addr, 10 * E18), self.deployer)
            self._send(usdc.functions.transfer(addr, 100_000 * 10**6), self.deployer)
        for relayer in (self.keel.relayer(), self.gp_relayer):
            deploy.approve_relayer(self.w3, self.keys, [self.usdc, self.weth], relayer)

    def _gpv2_router_allowance(self) -> None:
        """GPv2's standing allowance to the router, as keel's owner gives keel's at deploy."""
        router = self.world.deployment.uniswap.v2_router
        erc20 = self.w3.eth.contract(address=self.weth, abi=npm("WETH9").abi)
        approve = bytes.fromhex(erc20.encode_abi("approve", args=[router, 2**256 - 1])[2:])
        tx = self.gp.functions.settle([], [], [], [[], [(self.weth, 0, approve)], []])
        receipt = self.w3.eth.wait_for_transaction_receipt(tx.transact({"from": self.solver, "gas": 500_000}))
        assert receipt["status"] == 1, "GPv2 approve settle reverted"

    # ---- the work, both ways ---------------------------------------------------------------
    def _pairs(self, n: int) -> list[tuple[int, str, str, int, int]]:
        """(trader, sell token, buy token, sell amount, buy amount) at the reference price."""
        usdc_per_weth = E18 * self.prices[self.weth] // self.prices[self.usdc]  # exact at these prices
        legs = []
        for k in range(n // 2):
            legs.append((2 * k, self.weth, self.usdc, E18, usdc_per_weth))
            legs.append((2 * k + 1, self.usdc, self.weth, usdc_per_weth, E18))
        return legs

    def _interactions(self, recipient: str, out: int) -> list[tuple[str, bytes]]:
        router = self.w3.eth.contract(address=self.world.deployment.uniswap.v2_router, abi=npm("UniswapV2Router02").abi)
        swap = bytes.fromhex(router.encode_abi("swapExactTokensForTokens",
                                               args=[E18, out, [self.weth, self.usdc], recipient, FAR])[2:])
        return [(router.address, swap)]

    def _pair_swap(self, out: int, to: str) -> tuple[str, bytes]:
        """`pair.swap` paying `out` USDC to `to` (the pair must already hold the WETH)."""
        pair = self.w3.eth.contract(address=self.world.deployment.v2_pair("USDC", "WETH"), abi=npm("UniswapV2Pair").abi)
        usdc_is_0 = pair.functions.token0().call() == self.usdc
        amounts = (out, 0) if usdc_is_0 else (0, out)
        return pair.address, bytes.fromhex(pair.encode_abi("swap", args=[*amounts, to, b""])[2:])

    def _weth_to_pair(self) -> tuple[str, bytes]:
        weth = self.w3.eth.contract(address=self.weth, abi=npm("WETH9").abi)
        pair = self.world.deployment.v2_pair("USDC", "WETH")
        return self.weth, bytes.fromhex(weth.encode_abi("transfer", args=[pair, E18])[2:])

    def keel_gas(self, legs: list, prices: dict[str, int], calls: list[tuple[str, bytes]],
                 sinks: dict[str, str] | None = None) -> int:
        rows = []
        for trader, sell, buy, sell_amount, buy_amount in legs:
            owner = self.addrs[trader]
            tokens = [self.usdc, self.weth]
            after = {t: self._balance(t, owner) + {sell: -sell_amount, buy: buy_amount}.get(t, 0) for t in tokens}
            rel = prices[self.weth] * E18 // prices[self.usdc]
            intent = Intent(owner=owner, tokens=tuple(tokens), min_price=(E18, rel * 98 // 100),
                            max_price=(E18, rel * 102 // 100), kind=IntentKind.BALANCES,
                            min_balance=(after[self.usdc], after[self.weth]), max_balance=(UNBOUNDED, UNBOUNDED),
                            max_fee_bps=30, valid_to=FAR, nonce=1)
            sig = sign_digest(intent.digest(self.world.chain_id, self.keel.address), self.keys[trader])
            rows.append((intent.as_tuple(), SCHEME_EIP712, sig, {sell: -sell_amount, buy: buy_amount}))
        batch = make_batch(prices, rows, [Interaction(t, 0, d) for t, d in calls], sinks=sinks)
        receipt = self.keel.settle(self.solver, batch)
        self.calldata["keel"] = len(batch.calldata())
        if [e["owner"] for e in self.keel.executed(receipt)] != [self.addrs[leg[0]] for leg in legs]:
            raise RuntimeError("keel reported other executions than the bench sent")
        return int(receipt["gasUsed"])

    def gpv2_gas(self, legs: list, prices: dict[str, int], calls: list[tuple[str, bytes]],
                 sinks: dict[str, str] | None = None) -> int:
        del sinks  # GPv2 has no counterpart: everything it sells passes through its settlement
        tokens = sorted(prices, key=lambda a: int(a, 16))
        separator = bytes(self.gp.functions.domainSeparator().call())
        trades = []
        for trader, sell, buy, sell_amount, buy_amount in legs:
            limit = buy_amount * 99 // 100 if calls else buy_amount
            order = abi_encode(
                ["bytes32", "address", "address", "address", "uint256", "uint256", "uint32", "bytes32", "uint256",
                 "bytes32", "bool", "bytes32", "bytes32"],
                [ORDER_TYPEHASH, sell, buy, "0x" + "00" * 20, sell_amount, limit, FAR, b"\0" * 32, 0,
                 keccak(text="sell"), False, keccak(text="erc20"), keccak(text="erc20")],
            )
            digest = keccak(b"\x19\x01" + separator + keccak(order))
            sig = sign_digest(digest, self.keys[trader])
            trades.append((tokens.index(sell), tokens.index(buy), "0x" + "00" * 20, sell_amount, limit, FAR,
                           b"\0" * 32, 0, 0, 0, sig))
        interactions = [[], [(t, 0, d) for t, d in calls], []]
        tx = self.gp.functions.settle(tokens, [prices[t] for t in tokens], trades, interactions)
        self.calldata["gpv2"] = len(bytes.fromhex(tx._encode_transaction_data()[2:]))
        receipt = self.w3.eth.wait_for_transaction_receipt(tx.transact({"from": self.solver, "gas": 15_000_000}))
        if receipt["status"] != 1:
            raise RuntimeError("GPv2Settlement.settle reverted in the bench")
        return int(receipt["gasUsed"])

    def _balance(self, token: str, owner: str) -> int:
        return int(self.w3.eth.contract(address=token, abi=keel("WorldToken").abi).functions.balanceOf(owner).call())

    def measure(self, size: str) -> dict[str, Any]:
        keel_sinks: dict[str, str] | None = None
        if size in ("1", "1r"):
            router = self.world.deployment.uniswap.v2_router
            contract = self.w3.eth.contract(address=router, abi=npm("UniswapV2Router02").abi)
            out = contract.functions.getAmountsOut(E18, [self.weth, self.usdc]).call()[-1]
            legs, prices = [(0, self.weth, self.usdc, E18, out)], {self.usdc: E18, self.weth: out}
            if size == "1r":
                keel_calls, gp_calls = self._interactions(self.keel.address, out), self._interactions(self.gp.address, out)
            else:
                keel_calls = [self._pair_swap(out, self.addrs[0])]
                keel_sinks = {self.weth: self.world.deployment.v2_pair("USDC", "WETH")}
                gp_calls = [self._weth_to_pair(), self._pair_swap(out, self.gp.address)]
            n = 1
        elif size.isdigit() and int(size) % 2 == 0 and int(size) > 0:
            n = int(size)
            legs, prices, keel_calls, gp_calls = self._pairs(n), self.prices, [], []
        else:
            raise SystemExit(f"--sizes: {size} is neither 1, 1r nor even (pairs of users trade with each other)")
        result: dict[str, Any] = {"executions": n, "scenario": size}
        for name, run, calls in (("keel", self.keel_gas, keel_calls), ("gpv2", self.gpv2_gas, gp_calls)):
            snap = self.w3.provider.make_request("evm_snapshot", [])["result"]
            try:
                result[name] = run(legs, prices, calls, keel_sinks)
            finally:
                self.w3.provider.make_request("evm_revert", [snap])
        result["keel_per_execution"] = result["keel"] // n
        result["gpv2_per_execution"] = result["gpv2"] // n
        result["keel_calldata_per_execution"] = self.calldata["keel"] // n
        result["gpv2_calldata_per_execution"] = self.calldata["gpv2"] // n
        result["ratio"] = round(result["keel"] / result["gpv2"], 3)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,1r,2,10,50",
                        help="executions per batch, comma-separated (1r: one execution through the V2 router)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",")]
    for size in sizes:
        if size != "1r" and not (size.isdigit() and int(size) > 0):
            parser.error(f"--sizes: {size!r} is not a positive integer or 1r")
    _log("compiling contracts/src (the world is cached by its sources' hash) …")
    compile_contracts()
    _log("starting the forked world …")
    with chain.running(log_dir=Path(tempfile.mkdtemp(prefix="keel-bench-"))) as handle:
        _log("deploying GPv2Settlement and funding traders …")
        bench = Bench(handle.world(), traders=max(2, *(int(s.rstrip("r")) for s in sizes)))
        results = []
        for size in sizes:
            _log(f"settling {size} execution(s) both ways …")
            results.append(bench.measure(size))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'executions':>10} {'keel gas/exec':>14} {'GPv2 gas/exec':>14} {'ratio keel/GPv2':>16}"
          f" {'keel calldata B/exec':>21} {'GPv2 calldata B/exec':>21}")
    for r in results:
        print(f"{r['scenario']:>10} {r['keel_per_execution']:>14,} {r['gpv2_per_execution']:>14,} {r['ratio']:>16.3f}"
              f" {r['keel_calldata_per_execution']:>21,} {r['gpv2_calldata_per_execution']:>21,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
