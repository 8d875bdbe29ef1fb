"""deploy_keel and approve_relayer, as the world build uses them."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from web3 import Web3

from contracts import deploy, revert
from contracts.artifacts import keel
from contracts.settlement import Settlement
from keel.errors import UsageError
from tests.integration.settlement.helpers import Env


def test_should_ship_the_world_with_keel_deployed_wired_and_approved(env: Env) -> None:
    keel_contracts = env.world.deployment.contracts
    assert env.settlement.relayer() == keel_contracts.relayer
    settlement = env.settlement.contract
    assert settlement.functions.owner().call() == env.world.deployer.address
    assert settlement.functions.allowList().call() == keel_contracts.allow_list
    allow = env.w3.eth.contract(address=keel_contracts.allow_list, abi=keel("SolverAllowList").abi)
    assert all(allow.functions.isSolver(s.address).call() for s in env.world.solvers)
    assert not any(allow.functions.isSolver(u.address).call() for u in env.world.users)
    for user in env.world.users:
        for token in env.world.tokens.values():
            assert env.erc20(token).functions.allowance(user.address, keel_contracts.relayer).call() == 2**256 - 1
            # the settlement itself holds no approval: interactions cannot spend user funds
            assert env.erc20(token).functions.allowance(user.address, env.settlement.address).call() == 0


def test_should_deploy_a_fresh_set_and_approve_its_relayer_by_default(env: Env) -> None:
    owner = env.world.deployer.address
    fresh = deploy.deploy_keel(env.w3, owner, [env.solver])
    assert len({fresh.settlement, fresh.relayer, fresh.allow_list}) == 3
    assert fresh.settlement != env.settlement.address
    assert Settlement(env.w3, fresh.settlement).relayer() == fresh.relayer
    user = env.world.users[0]
    usdc = env.addr("USDC")
    deploy.approve_relayer(env.w3, [user.private_key], [usdc])
    assert env.erc20(usdc).functions.allowance(user.address, fresh.relayer).call() == 2**256 - 1


def test_rejects_an_owner_that_is_not_an_address(env: Env) -> None:
    with pytest.raises(UsageError, match="owner"):
        deploy.deploy_keel(env.w3, "0x1234", [])
    with pytest.raises(UsageError, match=r"solvers\[1\]"):
        deploy.deploy_keel(env.w3, env.world.deployer.address, [env.solver, "nope"])


def test_should_decode_nested_and_unknown_reverts_by_selector() -> None:
    reentrant = revert.selector("ReentrantCall")
    failed = revert.selector("InteractionFailed") + abi_encode(["uint256", "bytes"], [3, reentrant])
    decoded = revert.decode(failed)
    assert decoded.name == "InteractionFailed" and decoded.args["index"] == 3
    assert decoded.inner is not None and decoded.inner.name == "ReentrantCall"
    message = bytes.fromhex("08c379a0") + abi_encode(["string"], ["boom"])
    assert revert.decode(message).args == {"message": "boom"}
    assert revert.decode(b"").name == "EmptyRevert"
    assert revert.decode(b"\xde\xad\xbe\xef").name == "UnknownError"
    nonce = revert.decode(revert.selector("NonceAlreadyUsed")
                          + abi_encode(["uint256", "address", "uint256"], [1, "0x" + "ab" * 20, 7]))
    assert nonce.execution == 1 and nonce.args["owner"] == Web3.to_checksum_address("0x" + "ab" * 20)
