// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutionCodec} from "./ExecutionCodec.sol";
import {SafeTransfers} from "./SafeTransfers.sol";

/// @title PayAll
/// @notice Pays every positive flow of a batch from the settlement to the intent's owner, in
///         execution then token order: one ERC-20 `transfer` each.
/// @dev One assembly loop over the decoded executions (their layout is ExecutionCodec's) in
///      place of a Solidity loop of `SafeTransfers.safeTransfer` calls, whose array bounds
///      checks and call glue cost ~0.8k gas per transfer. Acceptance is exactly
///      `SafeTransfers.safeTransfer`'s: the call succeeds and returns either nothing (from an
///      address with code) or one word equal to 1; a revert that carries data is re-thrown
///      unchanged; anything else is `SafeTransfers.TransferFailed(token, this, owner, amount)`.
library PayAll {
    /// @notice Pay every positive flow of `executions` to its owner.
    /// @param executions The batch's decoded, verified executions.
    function pay(ExecutionCodec.Decoded[] memory executions) internal {
        bytes4 failed = SafeTransfers.TransferFailed.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            let count := mload(executions)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(executions, shl(5, add(i, 1))))
                let intent := mload(d)
                let owner := mload(intent)
                let tokens := mload(add(intent, 0x20))
                let flows := mload(add(d, 0x40))
                let end := shl(5, mload(flows))
                for { let w := 0x20 } iszero(gt(w, end)) { w := add(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    if sgt(flow, 0) {
                        let token := mload(add(tokens, w))
                        mstore(m, shl(224, 0xa9059cbb)) // transfer(address,uint256)
                        mstore(add(m, 0x04), owner)
                        mstore(add(m, 0x24), flow)
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
                            mstore(add(m, 0x64), flow)
                            revert(m, 0x84)
                        }
                    }
                }
            }
        }
    }
}
