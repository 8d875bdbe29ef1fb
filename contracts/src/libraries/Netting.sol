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
///         buyers get beyond its sellers is left as *residual buys*, which the settlement pays
///         after interactions (PayAll). Every owner's movements add up to exactly its flows.
/// @dev Two passes over the executions, never tokens × executions: `tally` counts and sums
///      each token's sell and buy legs (one pass), `plan` files every leg under its token
///      (a second pass, counting sort: each token's legs stay in execution order) and then
///      walks each token's two lists with two pointers. Memory layout, all in words:
///        Tally: sellEnd[n], buyEnd[n] (after `plan`'s filing: the end of each token's legs
///        in `sells`/`buys`; before it, each token's start), sold[n], bought[n] (Σ|flow|).
///        a leg: (owner, amount still unmoved).
///        a residual buy: (token, owner, amount, spare), `spare` for PayAll (issue 13, 3a).
///      A flow's magnitude is at most 2**255; a sum that overflows 2**256 is `Panic(0x11)`.
library Netting {
    /// @notice Each batch token's legs, counted and summed.
    struct Tally {
        uint256[] sellEnd;
        uint256[] buyEnd;
        uint256[] sold;
        uint256[] bought;
        uint256 sellLegs;
        uint256 buyLegs;
    }

    /// @notice The movements of a batch.
    struct Plan {
        /// @dev The whole `Relayer.transferAll` calldata; `count` entries.
        bytes relayerCall;
        uint256 count;
        /// @dev Residual buys, 4 words each (token, owner, amount, spare).
        uint256[] residualBuys;
    }

    /// @notice Count and sum every token's sell and buy legs.
    /// @param decoded The batch's decoded, verified executions.
    /// @param tokenCount The number of batch tokens (every priceIndex is below it: the decoder checked).
    /// @return t The tally; `sellEnd`/`buyEnd` hold each token's first leg index.
    function tally(ExecutionCodec.Decoded[] memory decoded, uint256 tokenCount) internal pure returns (Tally memory t) {
        t.sellEnd = new uint256[](tokenCount);
        t.buyEnd = new uint256[](tokenCount);
        t.sold = new uint256[](tokenCount);
        t.bought = new uint256[](tokenCount);
        uint256[] memory sellEnd = t.sellEnd;
        uint256[] memory buyEnd = t.buyEnd;
        uint256[] memory sold = t.sold;
        uint256[] memory bought = t.bought;
        bool overflow;
        assembly ("memory-safe") {
            let count := mload(decoded)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(decoded, shl(5, add(i, 1))))
                let priceIndex := mload(add(d, 0x20))
                let flows := mload(add(d, 0x40))
                let end := shl(5, mload(flows))
                for { let w := 0x20 } iszero(gt(w, end)) { w := add(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    let k := shl(5, add(mload(add(priceIndex, w)), 1))
                    if slt(flow, 0) {
                        let at := add(sellEnd, k)
                        mstore(at, add(mload(at), 1))
                        at := add(sold, k)
                        let sum := add(mload(at), sub(0, flow))
                        overflow := or(overflow, lt(sum, mload(at)))
                        mstore(at, sum)
                    }
                    if sgt(flow, 0) {
                        let at := add(buyEnd, k)
                        mstore(at, add(mload(at), 1))
                        at := add(bought, k)
                        let sum := add(mload(at), flow)
                        overflow := or(overflow, lt(sum, mload(at)))
                        mstore(at, sum)
                    }
                }
            }
            // counts → each token's first leg (exclusive prefix sums)
            let s := 0
            let b := 0
            for { let w := 0x20 } iszero(gt(w, shl(5, tokenCount))) { w := add(w, 0x20) } {
                let c := mload(add(sellEnd, w))
                mstore(add(sellEnd, w), s)
                s := add(s, c)
                c := mload(add(buyEnd, w))
                mstore(add(buyEnd, w), b)
                b := add(b, c)
            }
            mstore(add(t, 0x80), s)
            mstore(add(t, 0xa0), b)
        }
        if (overflow) {
            assembly ("memory-safe") {
                mstore(0x00, shl(224, 0x4e487b71)) // Panic(uint256)
                mstore(0x04, 0x11)
                revert(0x00, 0x24)
            }
        }
    }

    /// @notice The first batch token whose buyers get more than its sellers give, and by how much.
    /// @param t The batch's tally.
    /// @return found Whether there is one.
    /// @return k Its index in the batch's tokens.
    /// @return excess bought − sold.
    function firstShortfall(Tally memory t) internal pure returns (bool found, uint256 k, uint256 excess) {
        for (; k < t.sold.length; ++k) {
            if (t.bought[k] > t.sold[k]) return (true, k, t.bought[k] - t.sold[k]);
        }
    }

    /// @notice Whether any batch token's sellers give more than its buyers get.
    /// @param t The batch's tally.
    /// @return Whether something goes to the sink.
    function hasExcess(Tally memory t) internal pure returns (bool) {
        for (uint256 k; k < t.sold.length; ++k) {
            if (t.sold[k] > t.bought[k]) return true;
        }
        return false;
    }

    /// @notice Match every token's sellers with its buyers; build the relayer's one call and
    ///         the residual buys.
    /// @param t The batch's tally (its `sellEnd`/`buyEnd` are advanced to each token's end).
    /// @param decoded The batch's decoded, verified executions.
    /// @param tokens The batch's tokens.
    /// @param sink Where each token's excess sells go.
    /// @return p The plan.
    function plan(Tally memory t, ExecutionCodec.Decoded[] memory decoded, address[] calldata tokens, address sink)
        internal
        pure
        returns (Plan memory p)
    {
        (uint256[] memory sells, uint256[] memory buys) = _file(t, decoded);
        uint256 most = t.sellLegs + t.buyLegs;
        bytes memory call_ = new bytes(0x44 + (most << 7));
        uint256[] memory residual = new uint256[](t.buyLegs << 2);
        uint256[] memory sellEnd = t.sellEnd;
        uint256[] memory buyEnd = t.buyEnd;
        bytes4 selector = Relayer.transferAll.selector;
        uint256 moves;
        uint256 rest;
        assembly ("memory-safe") {
            let cursor := add(call_, 0x64) // past length, selector, offset, count
            let out := add(residual, 0x20)
            let s := add(sells, 0x20)
            let b := add(buys, 0x20)
            for { let w := 0x20 } iszero(gt(w, shl(5, mload(sellEnd)))) { w := add(w, 0x20) } {
                let token := calldataload(add(tokens.offset, sub(w, 0x20)))
                let sEnd := add(add(sells, 0x20), shl(6, mload(add(sellEnd, w))))
                let bEnd := add(add(buys, 0x20), shl(6, mload(add(buyEnd, w))))
                // two pointers: the smaller remainder moves whole, the larger stays
                for {} and(lt(s, sEnd), lt(b, bEnd)) {} {
                    let sa := mload(add(s, 0x20))
                    let ba := mload(add(b, 0x20))
                    let a := sa
                    if lt(ba, a) { a := ba }
                    mstore(cursor, token)
                    mstore(add(cursor, 0x20), mload(s))
                    mstore(add(cursor, 0x40), mload(b))
                    mstore(add(cursor, 0x60), a)
                    cursor := add(cursor, 0x80)
                    mstore(add(s, 0x20), sub(sa, a))
                    mstore(add(b, 0x20), sub(ba, a))
                    if eq(sa, a) { s := add(s, 0x40) }
                    if eq(ba, a) { b := add(b, 0x40) }
                }
                for {} lt(s, sEnd) { s := add(s, 0x40) } {
                    mstore(cursor, token)
                    mstore(add(cursor, 0x20), mload(s))
                    mstore(add(cursor, 0x40), sink)
                    mstore(add(cursor, 0x60), mload(add(s, 0x20)))
                    cursor := add(cursor, 0x80)
                }
                for {} lt(b, bEnd) { b := add(b, 0x40) } {
                    mstore(out, token)
                    mstore(add(out, 0x20), mload(b))
                    mstore(add(out, 0x40), mload(add(b, 0x20)))
                    out := add(out, 0x80)
                }
            }
            moves := shr(7, sub(cursor, add(call_, 0x64)))
            rest := shr(7, sub(out, add(residual, 0x20)))
            mstore(add(call_, 0x20), selector)
            mstore(add(call_, 0x24), 0x20)
            mstore(add(call_, 0x44), moves)
            mstore(call_, add(0x44, shl(7, moves)))
            mstore(residual, shl(2, rest))
        }
        p.relayerCall = call_;
        p.count = moves;
        p.residualBuys = residual;
    }

    /// @dev Every leg under its token, in execution order, in one pass over the executions:
    ///      sells as (owner, −flow), buys as (owner, flow). Advances `t.sellEnd`/`t.buyEnd` from
    ///      each token's first leg to its end.
    function _file(Tally memory t, ExecutionCodec.Decoded[] memory decoded)
        private
        pure
        returns (uint256[] memory sells, uint256[] memory buys)
    {
        sells = new uint256[](t.sellLegs << 1);
        buys = new uint256[](t.buyLegs << 1);
        uint256[] memory nextSell = t.sellEnd;
        uint256[] memory nextBuy = t.buyEnd;
        assembly ("memory-safe") {
            let count := mload(decoded)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let d := mload(add(decoded, shl(5, add(i, 1))))
                let owner := mload(mload(d))
                let priceIndex := mload(add(d, 0x20))
                let flows := mload(add(d, 0x40))
                let end := shl(5, mload(flows))
                for { let w := 0x20 } iszero(gt(w, end)) { w := add(w, 0x20) } {
                    let flow := mload(add(flows, w))
                    if flow {
                        let k := shl(5, add(mload(add(priceIndex, w)), 1))
                        let next := nextBuy
                        let legs := buys
                        let amount := flow
                        if slt(flow, 0) {
                            next := nextSell
                            legs := sells
                            amount := sub(0, flow)
                        }
                        let at := add(next, k)
                        let p := mload(at)
                        mstore(at, add(p, 1))
                        let leg := add(add(legs, 0x20), shl(6, p))
                        mstore(leg, owner)
                        mstore(add(leg, 0x20), amount)
                    }
                }
            }
        }
    }
}
