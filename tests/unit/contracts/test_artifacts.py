"""Loading real npm artifacts (waffle and hardhat formats) and linking libraries (no chain)."""

from __future__ import annotations

import pytest

from contracts.artifacts import Artifact, npm
from keel.errors import SetupError


def test_waffle_and_hardhat_artifacts_load_with_bytecode_and_abi() -> None:
    v2 = npm("UniswapV2Factory")  # waffle: evm.bytecode.object
    v3 = npm("UniswapV3Factory")  # hardhat: bytecode
    for art in (v2, v3):
        assert art.bytecode.startswith("0x60") and len(art.bytecode) > 1000
        assert any(item.get("name") == "createPool" or item.get("name") == "createPair" for item in art.abi)


def test_library_placeholders_are_replaced_by_the_given_address() -> None:
    placeholder = "__$" + "a" * 34 + "$__"
    art = Artifact("X", [], "0x6000" + placeholder + "00", "0x",
                   {"lib.sol": {"Lib": [{"start": 2, "length": 20}]}})
    linked = art.linked({"Lib": "0x" + "11" * 20})
    assert linked == "0x6000" + "11" * 20 + "00"
    with pytest.raises(SetupError, match="needs library Lib"):
        art.linked({})


def test_an_unknown_npm_artifact_is_a_setup_error_naming_the_known_ones() -> None:
    with pytest.raises(SetupError, match="known: "):
        npm("NoSuchContract")
