// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransfers} from "./SafeTransfers.sol";

/// @title PayAll
/// @notice Pays a batch's residual buys (what buyers are still owed once Netting matched
///         them with the token's sellers) from the settlement, in token then execution
///         order: one ERC-20 `transfer` per buy leg with something left.
/// @dev One assembly walk over Netting's buy lists in place of a Solidity loop of
///      `SafeTransfers.safeTransfer` calls. Acceptance is exactly `SafeTransfers.safeTransfer`'s:
///      the call succeeds and returns either nothing (from an address with code) or one word
///      equal to 1; a revert that carries data is re-thrown unchanged; anything else is
///      `SafeTransfers.TransferFailed(token, this, owner, amount)`.
library PayAll {
    /// @notice Pay every residual buy to its owner.
    /// @param table Netting's table, after `plan`.
    /// @param tokens The batch's tokens.
    function pay(uint256 table, address[] calldata tokens) internal {
        bytes4 failed = SafeTransfers.TransferFailed.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            let n := mload(table)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let token := calldataload(add(tokens.offset, shl(5, k)))
                // the buy list of token k: Netting's row k, word 2
                for { let leg := mload(add(add(table, 0x60), mul(k, 0xc0))) } leg { leg := mload(add(leg, 0x40)) } {
                    let owner := mload(leg)
                    let amount := mload(add(leg, 0x20))
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
