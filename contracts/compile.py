"""Compile `contracts/src/*.sol` with the pinned npm solc (standard JSON, optimizer on).

Output goes to `build/contracts/<Name>.json` ({abi, bytecode, deployedBytecode}); the
build is skipped when the hash of every source, the compiler settings and the solc
version are unchanged (stored in `build/contracts/.hash`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from keel.errors import SetupError
from keel.paths import build_dir, node_modules

SRC_DIR = Path(__file__).resolve().parent / "src"
SOLC_JS = Path(__file__).resolve().parent / "solc.js"

SETTINGS = {
    "optimizer": {"enabled": True, "runs": 1000000},
    "viaIR": True,
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


def out_dir() -> Path:
    return build_dir() / "contracts"


def sources() -> dict[str, str]:
    return {p.relative_to(SRC_DIR).as_posix(): p.read_text() for p in sorted(SRC_DIR.rglob("*.sol"))}


def _solc_version() -> str:
    pkg = node_modules() / "solc" / "package.json"
    if not pkg.exists():
        raise SetupError("npm packages are missing (no node_modules/solc): run `npm ci` or `make test`")
    return str(json.loads(pkg.read_text())["version"])


def source_hash() -> str:
    h = hashlib.sha256()
    h.update(_solc_version().encode())
    h.update(json.dumps(SETTINGS, sort_keys=True).encode())
    h.update(SOLC_JS.read_bytes())
    for name, text in sources().items():
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()


def build(force: bool = False) -> list[str]:
    """Compile if any source changed; return the names of the contracts written."""
    digest = source_hash()
    target = out_dir()
    stamp = target / ".hash"
    if not force and stamp.exists() and stamp.read_text() == digest:
        return sorted(p.stem for p in target.glob("*.json"))
    if shutil.which("node") is None:
        raise SetupError("node is not installed: keel compiles Solidity with the npm solc package")
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources().items()},
        "settings": SETTINGS,
    }
    proc = subprocess.run(
        ["node", str(SOLC_JS), str(SRC_DIR), str(node_modules())],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        cwd=str(node_modules().parent),
        check=False,
    )
    if proc.returncode != 0:
        raise SetupError(f"solc failed to run: {proc.stderr.strip().splitlines()[-1:]}")
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise SetupError("solc: " + " | ".join(e["formattedMessage"].strip() for e in errors))
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    written = []
    for _source, contracts in output.get("contracts", {}).items():
        for name, data in contracts.items():
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces and abstract contracts
            artifact = {
                "contractName": name,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            }
            (tmp / f"{name}.json").write_text(json.dumps(artifact))
            written.append(name)
    (tmp / ".hash").write_text(digest)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)  # all or nothing: never a half-written build
    return sorted(written)
