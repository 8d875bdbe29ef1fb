// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutionCodec} from "./ExecutionCodec.sol";
import {Relayer} from "../Relayer.sol";

/// @title RelayerCall
/// @notice The one `Relayer.transferIn(Transfer[])` call of a batch, encoded by hand past the
///         free memory pointer (never allocated): one (token, owner, -flow) entry per negative
///         flow, in execution then token order; no call at all when there is none.
/// @dev A relayer revert is re-thrown unchanged, so a token's own reason reaches the solver.
library RelayerCall {
    /// @notice Pull every negative flow of `executions` through `relayer` into the caller.
    /// @param relayer The settlement's relayer.
    /// @param executions The batch's decoded, verified executions.
    function pullAll(address relayer, ExecutionCodec.Decoded[] memory executions) internal {
        bytes4 selector = Relayer.transferIn.selector;
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            mstore(buffer, selector)
            mstore(add(buffer, 0x04), 0x20)
            let cursor := add(buffer, 0x44)
            let count := mload(executions)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(executions, shl(5, add(i, 1))))
                let intent := mload(d)
                let owner := mload(intent)
                let tokens := mload(add(intent, 0x20))
                let flows := mload(add(d, 0x40))
                let n := mload(flows)
                for { let j := 1 } iszero(gt(j, n)) { j := add(j, 1) } {
                    let flow := mload(add(flows, shl(5, j)))
                    if slt(flow, 0) {
                        mstore(cursor, mload(add(tokens, shl(5, j))))
                        mstore(add(cursor, 0x20), owner)
                        mstore(add(cursor, 0x40), sub(0, flow)) // int256.min: 2**255, as a uint256
                        cursor := add(cursor, 0x60)
                    }
                }
            }
            let pulls := div(sub(cursor, add(buffer, 0x44)), 0x60)
            mstore(add(buffer, 0x24), pulls)
            if and(iszero(iszero(pulls)), iszero(call(gas(), relayer, 0, buffer, sub(cursor, buffer), 0, 0))) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }
}
