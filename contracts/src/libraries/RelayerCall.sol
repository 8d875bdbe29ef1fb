// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Execution} from "../interfaces/IBatchSettlement.sol";
import {ExecutionCalldata} from "./ExecutionCalldata.sol";
import {Panic} from "./Panic.sol";
import {Relayer} from "../Relayer.sol";

/// @title RelayerCall
/// @notice The one `Relayer.transferIn(Transfer[])` call of a batch, encoded by hand past the
///         free memory pointer (never allocated): `pulls` entries of (token, owner, -flow), in
///         execution then token order, for every negative flow.
/// @dev Reads executions `ExecutionCalldata.at` has already accepted in this call. A relayer
///      revert is re-thrown unchanged, so a token's own reason reaches the solver.
library RelayerCall {
    /// @notice Pull every negative flow of `executions` through `relayer` into the caller.
    /// @param relayer The settlement's relayer.
    /// @param executions The batch's (already verified) executions.
    /// @param pulls How many negative flows there are in total; 0 sends nothing.
    function pullAll(address relayer, Execution[] calldata executions, uint256 pulls) internal {
        if (pulls == 0) return;
        uint256 buffer;
        uint256 cursor;
        bytes4 selector = Relayer.transferIn.selector;
        assembly ("memory-safe") {
            buffer := mload(0x40)
            mstore(buffer, selector)
            mstore(add(buffer, 0x04), 0x20)
            mstore(add(buffer, 0x24), pulls)
            cursor := add(buffer, 0x44)
        }
        for (uint256 i; i < executions.length; ++i) {
            cursor = _append(cursor, executions, i);
        }
        assembly ("memory-safe") {
            if iszero(call(gas(), relayer, 0, buffer, sub(cursor, buffer), 0, 0)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// @dev Writes execution `i`'s pulls at `cursor`; returns the cursor past them.
    function _append(uint256 cursor, Execution[] calldata executions, uint256 i) private pure returns (uint256) {
        (uint256 e, uint256 ip) = ExecutionCalldata.atUnchecked(executions, i);
        (uint256 flows, uint256 n) = ExecutionCalldata.arrayUnchecked(e, ExecutionCalldata.FLOWS);
        (uint256 own,) = ExecutionCalldata.arrayUnchecked(ip, ExecutionCalldata.TOKENS);
        uint256 owner = ExecutionCalldata.word(ip, ExecutionCalldata.OWNER);
        bool overflow;
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let flow := calldataload(add(flows, shl(5, j)))
                if slt(flow, 0) {
                    // -flow overflows for type(int256).min: Panic(0x11), as checked negation would
                    if eq(flow, shl(255, 1)) {
                        overflow := 1
                        break
                    }
                    mstore(cursor, calldataload(add(own, shl(5, j))))
                    mstore(add(cursor, 0x20), owner)
                    mstore(add(cursor, 0x40), sub(0, flow))
                    cursor := add(cursor, 0x60)
                }
            }
        }
        if (overflow) Panic.overflow();
        return cursor;
    }
}
