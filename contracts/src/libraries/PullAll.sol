// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutionCodec} from "./ExecutionCodec.sol";
import {Relayer} from "../Relayer.sol";

/// @title PullAll
/// @notice Moves every sell of a batch (each negative flow) from its owner into the
///         settlement through the relayer, in execution then token order, with no matching:
///         the shape of a routed batch without sinks, whose interactions need the sold tokens
///         in the settlement anyway (docs/interfaces.md, "Order of effects"). On real routed
///         batches a token with S sellers and B buyers needs about S + B transfers either way,
///         and this walk costs less per leg than Netting's lists (README, "Settlement gas").
/// @dev One assembly pass over the decoded executions (layout: ExecutionCodec's), writing
///      `Relayer.transferAll` entries (token, owner, settlement, amount) into a buffer past the
///      free memory pointer (never allocated, reused) and sending it every `CHUNK` entries, so
///      memory stays linear in the batch. A relayer revert is re-thrown unchanged. No call at
///      all when nothing is sold. A negative flow's magnitude is at most 2**255 (int256.min's
///      negation, read as a uint256).
library PullAll {
    /// @dev Transfers per relayer call (the buffer is 0x44 + CHUNK * 0x80 bytes).
    uint256 private constant CHUNK = 64;

    /// @notice Pull every negative flow of `decoded` into the calling settlement.
    /// @param decoded The batch's decoded, verified executions.
    /// @param relayer The settlement's relayer.
    function pull(ExecutionCodec.Decoded[] memory decoded, address relayer) internal {
        bytes4 selector = Relayer.transferAll.selector;
        assembly ("memory-safe") {
            function send(buf, end, to) -> next {
                mstore(add(buf, 0x24), shr(7, sub(end, add(buf, 0x44))))
                if iszero(call(gas(), to, 0, buf, sub(end, buf), 0, 0)) {
                    returndatacopy(buf, 0, returndatasize())
                    revert(buf, returndatasize())
                }
                next := add(buf, 0x44)
            }
            let buffer := mload(0x40)
            mstore(buffer, selector)
            mstore(add(buffer, 0x04), 0x20)
            let first := add(buffer, 0x44)
            let full := add(first, shl(7, CHUNK))
            let cursor := first
            let count := mload(decoded)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(decoded, shl(5, add(i, 1))))
                let intent := mload(d)
                let owner := mload(intent)
                let tokens := mload(add(intent, 0x20))
                let flows := mload(add(d, 0x40))
                for { let w := shl(5, mload(flows)) } w { w := sub(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    if slt(flow, 0) {
                        if eq(cursor, full) { cursor := send(buffer, cursor, relayer) }
                        mstore(cursor, mload(add(tokens, w)))
                        mstore(add(cursor, 0x20), owner)
                        mstore(add(cursor, 0x40), address())
                        mstore(add(cursor, 0x60), sub(0, flow))
                        cursor := add(cursor, 0x80)
                    }
                }
            }
            if gt(cursor, first) { cursor := send(buffer, cursor, relayer) }
        }
    }
}
