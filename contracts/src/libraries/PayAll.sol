// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutionCodec} from "./ExecutionCodec.sol";
import {SafeTransfers} from "./SafeTransfers.sol";
import {IBatchSettlement} from "../interfaces/IBatchSettlement.sol";

/// @title PayAll
/// @notice Pays a batch's buys from the settlement: every positive flow whole (`payFlows`, a
///         routed batch without sinks, whose sells PullAll brought in), or the residual buys
///         (what buyers are still owed once Netting matched them with the token's sellers, in
///         token then execution order): one ERC-20 `transfer` per leg with something to pay.
///         When the solver routes pools to pay users directly, `noteBalances` first records, per residual
///         leg, the balance its owner must reach (its balance before the interactions plus
///         what it is due), and `pay` then sends only what is still missing, never more than
///         the leg's residual.
/// @dev Assembly walks over Netting's buy lists (leg: owner | next << 160, amount); a leg's
///      target lives in transient storage under the leg's memory address until `pay`. Several
///      residual legs of one (owner, token) — one owner's executions — share a running
///      target in transient storage keyed by keccak(owner, token), so what a pool paid is
///      counted once; `pay` clears each key. Acceptance of a transfer is exactly
///      `SafeTransfers.safeTransfer`'s: the call succeeds and returns either nothing (from an
///      address with code) or one word equal to 1; a revert that carries data is re-thrown
///      unchanged; anything else is `SafeTransfers.TransferFailed(token, this, owner, amount)`.
library PayAll {
    /// @notice For every residual buy, the balance its owner must end the interactions with.
    /// @dev In a closed batch only each (owner, token)'s running target is kept: nothing is paid
    ///      per leg, and `checkPaid` checks each target.
    /// @param table Netting's table, after `move`.
    /// @param tokens The batch's tokens.
    /// @param closed Whether the batch is closed (BatchSettlement).
    function noteBalances(uint256 table, address[] calldata tokens, bool closed) internal {
        bool overflow;
        assembly ("memory-safe") {
            let n := mload(table)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let token := calldataload(add(tokens.offset, shl(5, k)))
                for { let leg := shr(160, mload(add(add(table, 0x60), mul(k, 0xc0)))) } leg {
                    leg := shr(160, mload(leg))
                } {
                    let amount := mload(add(leg, 0x20))
                    if amount {
                        let owner := and(mload(leg), 0xffffffffffffffffffffffffffffffffffffffff)
                        mstore(0x00, owner)
                        mstore(0x20, token)
                        let key := keccak256(0x00, 0x40)
                        let reach := tload(key) // 1 + the running target, 0 when first seen
                        if iszero(reach) {
                            mstore(0x00, shl(224, 0x70a08231)) // balanceOf(address)
                            mstore(0x04, owner)
                            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                                let m := mload(0x40)
                                returndatacopy(m, 0, returndatasize())
                                revert(m, returndatasize())
                            }
                            if lt(returndatasize(), 0x20) { revert(0, 0) }
                            reach := add(mload(0x00), 1)
                            overflow := or(overflow, iszero(reach))
                        }
                        let target := add(sub(reach, 1), amount)
                        overflow := or(overflow, or(lt(target, amount), iszero(add(target, 1))))
                        tstore(key, add(target, 1))
                        if iszero(closed) { tstore(leg, target) }
                    }
                }
            }
        }
        if (overflow) {
            assembly ("memory-safe") {
                mstore(0x00, shl(224, 0x4e487b71)) // Panic(uint256)
                mstore(0x04, 0x11)
                revert(0x00, 0x24)
            }
        }
    }

    /// @notice In a closed batch, after the interactions: every residual buy's owner must have
    ///         reached the running target `noteBalances` kept for its (owner, token) — the pools
    ///         paid it all — else `ResidualNotPaid(token, owner, missing)`; the contract pays
    ///         nothing. Each target is checked once and cleared.
    /// @param table Netting's table, after `move` and `noteBalances(…, true)`.
    /// @param tokens The batch's tokens.
    function checkPaid(uint256 table, address[] calldata tokens) internal {
        bytes4 unpaid = IBatchSettlement.ResidualNotPaid.selector;
        assembly ("memory-safe") {
            let n := mload(table)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let token := calldataload(add(tokens.offset, shl(5, k)))
                for { let leg := shr(160, mload(add(add(table, 0x60), mul(k, 0xc0)))) } leg {
                    leg := shr(160, mload(leg))
                } {
                    let owner := and(mload(leg), 0xffffffffffffffffffffffffffffffffffffffff)
                    mstore(0x00, owner)
                    mstore(0x20, token)
                    let key := keccak256(0x00, 0x40)
                    let reach := tload(key) // 1 + the running target; 0 once checked (or none)
                    if reach {
                        tstore(key, 0)
                        mstore(0x00, shl(224, 0x70a08231)) // balanceOf(address)
                        mstore(0x04, owner)
                        if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                            let m := mload(0x40)
                            returndatacopy(m, 0, returndatasize())
                            revert(m, returndatasize())
                        }
                        if lt(returndatasize(), 0x20) { revert(0, 0) }
                        let b := mload(0x00)
                        if lt(b, sub(reach, 1)) {
                            let m := mload(0x40)
                            mstore(m, unpaid)
                            mstore(add(m, 0x04), token)
                            mstore(add(m, 0x24), owner)
                            mstore(add(m, 0x44), sub(sub(reach, 1), b))
                            revert(m, 0x64)
                        }
                    }
                }
            }
        }
    }

    /// @notice Pay every positive flow of `decoded` to its owner, in execution then token order.
    /// @param decoded The batch's decoded, verified executions (layout: ExecutionCodec's).
    function payFlows(ExecutionCodec.Decoded[] memory decoded) internal {
        bytes4 failed = SafeTransfers.TransferFailed.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0xa9059cbb)) // transfer(address,uint256): only a revert overwrites it
            let count := mload(decoded)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(decoded, shl(5, add(i, 1))))
                let intent := mload(d)
                let owner := mload(intent)
                let tokens := mload(add(intent, 0x20))
                let flows := mload(add(d, 0x40))
                let end := shl(5, mload(flows))
                for { let w := 0x20 } iszero(gt(w, end)) { w := add(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    if sgt(flow, 0) {
                        let token := mload(add(tokens, w))
                        mstore(add(m, 0x04), owner)
                        mstore(add(m, 0x24), flow)
                        let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
                        let size := returndatasize()
                        if and(iszero(ok), gt(size, 0)) {
                            returndatacopy(m, 0, size)
                            revert(m, size)
                        }
                        // accepted: nothing returned by a contract, or exactly one word equal to 1 (the
                        // call wrote it to 0x00); extcodesize only when nothing came back (100 gas warm)
                        let good := 0
                        if ok {
                            switch size
                            case 0 { good := gt(extcodesize(token), 0) }
                            case 0x20 { good := eq(mload(0x00), 1) }
                        }
                        if iszero(good) {
                            mstore(m, failed)
                            mstore(add(m, 0x04), token)
                            mstore(add(m, 0x24), address())
                            mstore(add(m, 0x44), owner)
                            mstore(add(m, 0x64), flow)
                            revert(m, 0x84)
                        }
                    }
                }
            }
        }
    }

    /// @notice Pay every residual buy what its owner's balance still lacks of the target
    ///         `noteBalances` recorded, at most the residual (pools may have paid it directly).
    /// @param table Netting's table, after `move` and `noteBalances`.
    /// @param tokens The batch's tokens.
    function pay(uint256 table, address[] calldata tokens) internal {
        bytes4 failed = SafeTransfers.TransferFailed.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            let n := mload(table)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let token := calldataload(add(tokens.offset, shl(5, k)))
                // the buy list of token k: Netting's row k, word 2
                for { let leg := shr(160, mload(add(add(table, 0x60), mul(k, 0xc0)))) } leg {
                    leg := shr(160, mload(leg))
                } {
                    let owner := and(mload(leg), 0xffffffffffffffffffffffffffffffffffffffff)
                    let amount := mload(add(leg, 0x20))
                    if amount {
                        mstore(0x00, owner)
                        mstore(0x20, token)
                        tstore(keccak256(0x00, 0x40), 0)
                        mstore(0x00, shl(224, 0x70a08231)) // balanceOf(address)
                        mstore(0x04, owner)
                        if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                            returndatacopy(m, 0, returndatasize())
                            revert(m, returndatasize())
                        }
                        if lt(returndatasize(), 0x20) { revert(0, 0) }
                        let target := tload(leg)
                        tstore(leg, 0)
                        let lacks := 0
                        if gt(target, mload(0x00)) { lacks := sub(target, mload(0x00)) }
                        if lt(lacks, amount) { amount := lacks }
                    }
                    if amount {
                        mstore(m, shl(224, 0xa9059cbb)) // transfer(address,uint256)
                        mstore(add(m, 0x04), owner)
                        mstore(add(m, 0x24), amount)
                        let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
                        let size := returndatasize()
                        if and(iszero(ok), gt(size, 0)) {
                            returndatacopy(m, 0, size)
                            revert(m, size)
                        }
                        // accepted: nothing returned by a contract, or exactly one word equal to 1 (the
                        // call wrote it to 0x00); extcodesize only when nothing came back (100 gas warm)
                        let good := 0
                        if ok {
                            switch size
                            case 0 { good := gt(extcodesize(token), 0) }
                            case 0x20 { good := eq(mload(0x00), 1) }
                        }
                        if iszero(good) {
                            mstore(m, failed)
                            mstore(add(m, 0x04), token)
                            mstore(add(m, 0x24), address())
                            mstore(add(m, 0x44), owner)
                            mstore(add(m, 0x64), amount)
                            revert(m, 0x84)
                        }
                    }
                }
            }
        }
    }
}
