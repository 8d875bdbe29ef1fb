// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutionCodec} from "./ExecutionCodec.sol";
import {Relayer} from "../Relayer.sol";

/// @title Netting
/// @notice Turns a batch's verified flows into the token movements that realise them with the
///         fewest hops: per batch token, sellers (negative flows) are matched with buyers
///         (positive flows) in execution order, and each matched amount moves straight from
///         seller to buyer. What a token's sellers give beyond its buyers goes to a `sink`
///         (the settlement, when interactions need it; otherwise the fee recipient); what its
///         buyers get beyond its sellers stays on their buy legs as *residual buys*, which the
///         settlement pays after interactions (PayAll). Every owner's movements add up to
///         exactly its flows; the decoded flows themselves are never written.
/// @dev One pass over the executions files every leg on its token's sell or buy list (linked,
///      so each list keeps execution order without a counting pass) and sums each side;
///      `move` walks each token's two lists with two pointers. Never tokens × executions.
///      All in assembly over one memory table (a Solidity version with bounds checks and
///      struct copies cost ~6k gas more per batch). Memory is kept small because its cost
///      is quadratic and a 300-execution batch already holds ~15k words of decoded
///      executions: a leg is 2 words, and the relayer's calldata is built in a reused buffer
///      past the free memory pointer and sent every `CHUNK` transfers. The table, in words:
///        [0] n (the batch's token count), then per token k 6 words at 1 + 6k: sell head,
///        sell tail, buy head, buy tail, Σ sells, Σ buys (base units).
///      A leg: word 0 = owner | next leg << 160 (0 ends the list), word 1 = amount not yet
///      moved. A list's head word is read like a leg's word 0 (its owner bits are 0), and its
///      tail starts at the head word, so appending never branches. A flow's magnitude is at
///      most 2**255; a sum that overflows 2**256 is `Panic(0x11)`.
library Netting {
    /// @dev Bytes per token row of the table.
    uint256 private constant ROW = 0xc0;
    /// @dev Transfers per relayer call (the buffer is 0x44 + CHUNK * 0x80 bytes).
    uint256 private constant CHUNK = 64;
    uint256 private constant ADDRESS_MASK = (1 << 160) - 1;

    /// @notice File every leg under its token and sum each side.
    /// @param decoded The batch's decoded, verified executions.
    /// @param n The number of batch tokens (every priceIndex is below it: the decoder checked).
    /// @return table The table (layout above).
    /// @return short The first token whose buys exceed its sells, or `n` when none does.
    /// @return excess That token's Σ buys − Σ sells.
    /// @return surplus Whether any token's sells exceed its buys.
    function collect(ExecutionCodec.Decoded[] memory decoded, uint256 n)
        internal
        pure
        returns (uint256 table, uint256 short, uint256 excess, bool surplus)
    {
        bool overflow;
        assembly ("memory-safe") {
            table := mload(0x40)
            let rows := add(table, 0x20)
            let free := add(rows, mul(n, ROW))
            mstore(table, n)
            for { let row := rows } lt(row, free) { row := add(row, ROW) } {
                mstore(row, 0)
                mstore(add(row, 0x20), row)
                mstore(add(row, 0x40), 0)
                mstore(add(row, 0x60), add(row, 0x40))
                mstore(add(row, 0x80), 0)
                mstore(add(row, 0xa0), 0)
            }
            let count := mload(decoded)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(decoded, shl(5, add(i, 1))))
                let owner := mload(mload(d))
                let priceIndex := mload(add(d, 0x20))
                let flows := mload(add(d, 0x40))
                for { let w := shl(5, mload(flows)) } w { w := sub(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    if flow {
                        // a sell goes on words 0-1 and sums in word 4, a buy on 2-3 and in 5
                        let buy := sgt(flow, 0)
                        let row := add(rows, mul(mload(add(priceIndex, w)), ROW))
                        let amount := flow
                        if iszero(buy) { amount := sub(0, flow) }
                        mstore(free, owner)
                        mstore(add(free, 0x20), amount)
                        let tailAt := add(row, add(0x20, shl(6, buy)))
                        let tail := mload(tailAt)
                        mstore(tail, or(mload(tail), shl(160, free)))
                        mstore(tailAt, free)
                        free := add(free, 0x40)
                        let sumAt := add(row, add(0x80, shl(5, buy)))
                        let sum := add(mload(sumAt), amount)
                        overflow := or(overflow, lt(sum, amount))
                        mstore(sumAt, sum)
                    }
                }
            }
            mstore(0x40, free)
            short := n
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let row := add(rows, mul(k, ROW))
                let sold := mload(add(row, 0x80))
                let bought := mload(add(row, 0xa0))
                if and(gt(bought, sold), eq(short, n)) {
                    short := k
                    excess := sub(bought, sold)
                }
                surplus := or(surplus, gt(sold, bought))
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

    /// @notice Token `k`'s Σ sells − Σ buys when positive, else 0.
    /// @param table A table from `collect`.
    /// @param k The token's index in the batch.
    /// @return amount What its sellers give beyond its buyers.
    function surplusOf(uint256 table, uint256 k) internal pure returns (uint256 amount) {
        assembly ("memory-safe") {
            let row := add(add(table, 0x20), mul(k, ROW))
            let sold := mload(add(row, 0x80))
            let bought := mload(add(row, 0xa0))
            if gt(sold, bought) { amount := sub(sold, bought) }
        }
    }

    /// @notice Match every token's sellers with its buyers and have the relayer make every
    ///         movement: each matched amount seller → buyer, each surplus sell seller → the
    ///         token's sink. What buyers are still owed stays on their legs (residual buys).
    /// @param table A table from `collect` (its legs' amounts are consumed).
    /// @param tokens The batch's tokens.
    /// @param sinks Empty, or one per token: where its surplus sells go (address(0): `sink`).
    /// @param sink Where surplus sells go when `sinks` names nothing else.
    /// @param relayer The settlement's relayer; a revert is re-thrown unchanged.
    function move(uint256 table, address[] calldata tokens, address[] calldata sinks, address sink, address relayer)
        internal
    {
        bytes4 selector = Relayer.transferAll.selector;
        uint256 buffer;
        assembly ("memory-safe") {
            buffer := mload(0x40) // never allocated: reused for every call
            mstore(buffer, selector)
            mstore(add(buffer, 0x04), 0x20)
        }
        assembly ("memory-safe") {
            function send(buf, end, to) -> next {
                mstore(add(buf, 0x24), shr(7, sub(end, add(buf, 0x44))))
                if iszero(call(gas(), to, 0, buf, sub(end, buf), 0, 0)) {
                    returndatacopy(buf, 0, returndatasize())
                    revert(buf, returndatasize())
                }
                next := add(buf, 0x44)
            }
            let full := add(buffer, add(0x44, shl(7, CHUNK)))
            let cursor := add(buffer, 0x44)
            let row := add(table, 0x20)
            for { let off := 0 } lt(off, shl(5, mload(table))) { off := add(off, 0x20) } {
                let s := shr(160, mload(row))
                let b := shr(160, mload(add(row, 0x40)))
                let token := calldataload(add(tokens.offset, off))
                // two pointers: the smaller remainder moves whole, the larger stays
                for {} and(iszero(iszero(s)), iszero(iszero(b))) {} {
                    if eq(cursor, full) { cursor := send(buffer, cursor, relayer) }
                    let sa := mload(add(s, 0x20))
                    let ba := mload(add(b, 0x20))
                    mstore(cursor, token)
                    mstore(add(cursor, 0x20), and(mload(s), ADDRESS_MASK))
                    mstore(add(cursor, 0x40), and(mload(b), ADDRESS_MASK))
                    switch lt(ba, sa)
                    case 1 {
                        mstore(add(cursor, 0x60), ba)
                        mstore(add(s, 0x20), sub(sa, ba))
                        mstore(add(b, 0x20), 0)
                        b := shr(160, mload(b))
                    }
                    default {
                        mstore(add(cursor, 0x60), sa)
                        mstore(add(s, 0x20), 0)
                        mstore(add(b, 0x20), sub(ba, sa))
                        s := shr(160, mload(s))
                        if eq(ba, sa) { b := shr(160, mload(b)) }
                    }
                    cursor := add(cursor, 0x80)
                }
                if s {
                    let to := sink
                    if sinks.length {
                        let named := calldataload(add(sinks.offset, off))
                        if named { to := named }
                    }
                    for {} s { s := shr(160, mload(s)) } {
                        if eq(cursor, full) { cursor := send(buffer, cursor, relayer) }
                        mstore(cursor, token)
                        mstore(add(cursor, 0x20), and(mload(s), ADDRESS_MASK))
                        mstore(add(cursor, 0x40), to)
                        mstore(add(cursor, 0x60), mload(add(s, 0x20)))
                        mstore(add(s, 0x20), 0)
                        cursor := add(cursor, 0x80)
                    }
                }
                row := add(row, ROW)
            }
            if gt(cursor, add(buffer, 0x44)) { cursor := send(buffer, cursor, relayer) }
        }
    }
}
