// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransfers} from "./SafeTransfers.sol";

/// @title PayAll
/// @notice Pays a batch's residual buys (what buyers are still owed once Netting matched
///         them with the token's sellers) from the settlement, in token then execution
///         order: one ERC-20 `transfer` per buy leg with something left. When the solver
///         routes pools to pay users directly, `noteBalances` first records, per residual
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
    /// @param table Netting's table, after `plan`.
    /// @param tokens The batch's tokens.
    function noteBalances(uint256 table, address[] calldata tokens) internal {
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
                        tstore(leg, target)
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

    /// @notice Pay every residual buy to its owner: its whole residual, or (`credit`, after
    ///         `noteBalances`) what its owner's balance still lacks of its target, at most the
    ///         residual.
    /// @param table Netting's table, after `plan`.
    /// @param tokens The batch's tokens.
    /// @param credit Whether pools may have paid owners directly.
    function pay(uint256 table, address[] calldata tokens, bool credit) internal {
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
                    if and(credit, gt(amount, 0)) {
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
                        mstore(0x00, 0)
                        let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
                        let size := returndatasize()
                        if and(iszero(ok), gt(size, 0)) {
                            returndatacopy(m, 0, size)
                            revert(m, size)
                        }
                        // accepted: nothing returned by a contract, or exactly one word equal to 1
                        let good := and(ok, or(and(iszero(size), gt(extcodesize(token), 0)),
                                               and(eq(size, 0x20), eq(mload(0x00), 1))))
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
