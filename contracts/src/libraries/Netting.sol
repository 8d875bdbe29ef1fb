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
///      `plan` walks each token's two lists with two pointers. Never tokens × executions.
///      All in assembly over one memory table (a Solidity version with bounds checks and
///      struct copies cost ~6k gas more per batch). The table, in words:
///        [0] n (the batch's token count), then per token k 6 words at 1 + 6k: sell head,
///        sell tail, buy head, buy tail, Σ sells, Σ buys (base units).
///      A leg is 4 words: owner, amount not yet moved, next leg (0 ends the list), and for a
///      residual buy the balance its owner must reach (PayAll.noteBalances). A list's
///      tail starts as its head's address − 0x40, so appending never branches. A flow's
///      magnitude is at most 2**255; a sum that overflows 2**256 is `Panic(0x11)`.
library Netting {
    /// @dev Bytes per token row of the table.
    uint256 private constant ROW = 0xc0;

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
                mstore(add(row, 0x20), sub(row, 0x40))
                mstore(add(row, 0x40), 0)
                mstore(add(row, 0x60), row)
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
                        mstore(add(free, 0x40), 0)
                        let tailAt := add(row, add(0x20, shl(6, buy)))
                        mstore(add(mload(tailAt), 0x40), free)
                        mstore(tailAt, free)
                        free := add(free, 0x80)
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

    /// @notice Match every token's sellers with its buyers: the relayer's one call moves each
    ///         matched amount seller → buyer and each surplus sell seller → `sink`; what
    ///         buyers are still owed stays on their legs (the residual buys).
    /// @param table A table from `collect` (its legs' amounts are consumed).
    /// @param tokens The batch's tokens.
    /// @param sinks Empty, or one per token: where its surplus sells go (address(0): `sink`).
    /// @param sink Where surplus sells go when `sinks` names nothing else.
    /// @return data The whole `Relayer.transferAll` calldata.
    /// @return count How many transfers it carries.
    function plan(uint256 table, address[] calldata tokens, address[] calldata sinks, address sink)
        internal
        pure
        returns (bytes memory data, uint256 count)
    {
        bytes4 selector = Relayer.transferAll.selector;
        assembly ("memory-safe") {
            data := mload(0x40)
            mstore(add(data, 0x20), selector)
            mstore(add(data, 0x24), 0x20)
        }
        assembly ("memory-safe") {
            let cursor := add(data, 0x64) // past length, selector, offset, count
            let row := add(table, 0x20)
            for { let off := 0 } lt(off, shl(5, mload(table))) { off := add(off, 0x20) } {
                let s := mload(row)
                let b := mload(add(row, 0x40))
                let token := calldataload(add(tokens.offset, off))
                // two pointers: the smaller remainder moves whole, the larger stays
                for {} and(iszero(iszero(s)), iszero(iszero(b))) {} {
                    let sa := mload(add(s, 0x20))
                    let ba := mload(add(b, 0x20))
                    mstore(cursor, token)
                    mstore(add(cursor, 0x20), mload(s))
                    mstore(add(cursor, 0x40), mload(b))
                    switch lt(ba, sa)
                    case 1 {
                        mstore(add(cursor, 0x60), ba)
                        mstore(add(s, 0x20), sub(sa, ba))
                        mstore(add(b, 0x20), 0)
                        b := mload(add(b, 0x40))
                    }
                    default {
                        mstore(add(cursor, 0x60), sa)
                        mstore(add(s, 0x20), 0)
                        mstore(add(b, 0x20), sub(ba, sa))
                        s := mload(add(s, 0x40))
                        if eq(ba, sa) { b := mload(add(b, 0x40)) }
                    }
                    cursor := add(cursor, 0x80)
                }
                if s {
                    let to := sink
                    if sinks.length {
                        let named := calldataload(add(sinks.offset, off))
                        if named { to := named }
                    }
                    for {} s { s := mload(add(s, 0x40)) } {
                        mstore(cursor, token)
                        mstore(add(cursor, 0x20), mload(s))
                        mstore(add(cursor, 0x40), to)
                        mstore(add(cursor, 0x60), mload(add(s, 0x20)))
                        mstore(add(s, 0x20), 0)
                        cursor := add(cursor, 0x80)
                    }
                }
                row := add(row, ROW)
            }
            count := shr(7, sub(cursor, add(data, 0x64)))
            mstore(data, add(0x44, shl(7, count)))
            mstore(add(data, 0x44), count)
            mstore(0x40, cursor)
        }
    }
}
