"""Load contract artifacts: keel's own (build/contracts) and the npm packages' real bytecode.

Understands the waffle format (`@uniswap/v2-*` build/*.json: `evm.bytecode.object`)
and the hardhat format (`@uniswap/v3-*`, `@cowprotocol/contracts`: `bytecode`,
`linkReferences`), and links libraries by address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from keel.errors import SetupError
from keel.paths import node_modules

# name -> path under node_modules
NPM_ARTIFACTS: dict[str, str] = {
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "UniswapV3Factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "TickLens": "@uniswap/v3-periphery/artifacts/contracts/lens/TickLens.sol/TickLens.json",
    "GPv2Settlement": "@cowprotocol/contracts/lib/contracts/GPv2Settlement.json",
    "GPv2AllowListAuthentication": "@cowprotocol/contracts/lib/contracts/GPv2AllowListAuthentication.json",
    "GPv2VaultRelayer": "@cowprotocol/contracts/lib/contracts/GPv2VaultRelayer.json",
}


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, 0x-prefixed; may hold unlinked placeholders
    deployed_bytecode: str
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)

    def linked(self, libraries: dict[str, str]) -> str:
        """Creation code with each library placeholder replaced by its address."""
        code = bytearray(bytes.fromhex(self.bytecode[2:])) if "__" not in self.bytecode else None
        if code is None:
            raw = self.bytecode[2:]
            for _source, libs in self.link_references.items():
                for lib, refs in libs.items():
                    if lib not in libraries:
                        raise SetupError(f"{self.name} needs library {lib}: pass its address")
                    addr = libraries[lib].lower().removeprefix("0x")
                    for ref in refs:
                        start = ref["start"] * 2
                        raw = raw[:start] + addr + raw[start + ref["length"] * 2 :]
            return "0x" + raw
        return "0x" + code.hex()


def _normalise(name: str, data: dict[str, Any]) -> Artifact:
    if "evm" in data and data["evm"].get("bytecode"):  # waffle
        evm = data["evm"]
        bytecode = evm["bytecode"]["object"]
        deployed = evm.get("deployedBytecode", {}).get("object", "")
        links = evm["bytecode"].get("linkReferences", {})
    else:  # hardhat or keel's own
        bytecode = data["bytecode"]
        deployed = data.get("deployedBytecode", "")
        links = data.get("linkReferences", {})
    abi = data["abi"] if isinstance(data["abi"], list) else json.loads(data["abi"])
    return Artifact(
        name=name,
        abi=abi,
        bytecode=bytecode if bytecode.startswith("0x") else "0x" + bytecode,
        deployed_bytecode=deployed if deployed.startswith("0x") else "0x" + deployed,
        link_references=links or {},
    )


@cache
def npm(name: str) -> Artifact:
    """A real artifact from the npm packages, by contract name."""
    if name not in NPM_ARTIFACTS:
        raise SetupError(f"no npm artifact named {name!r}; known: {', '.join(sorted(NPM_ARTIFACTS))}")
    path = node_modules() / NPM_ARTIFACTS[name]
    if not path.exists():
        raise SetupError(f"npm packages are missing ({path.name} not found): run `npm ci` or `make test`")
    return _normalise(name, json.loads(path.read_text()))


@cache
def keel(name: str) -> Artifact:
    """One of keel's own compiled contracts (run `keel contracts build` first)."""
    from contracts.compile import build, out_dir

    build()  # a no-op unless a source changed: never serve bytecode older than the sources
    path = out_dir() / f"{name}.json"
    if not path.exists():
        raise SetupError(f"contract {name} is not in contracts/src; nothing compiled by that name")
    return _normalise(name, json.loads(Path(path).read_text()))
