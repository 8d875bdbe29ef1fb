// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Panic} from "./Panic.sol";

/// @title Outcome
/// @notice Pure checks of a user's signed outcome against post-batch balances and of value
///         conservation at the clearing prices. All arithmetic is exact integer arithmetic on
///         `amount * price` values, so there is no rounding to direct: a tie passes.
library Outcome {
    uint256 internal constant BPS = 10_000;

    /// @notice Index of the first token whose post-trade weight misses its target by more
    ///         than `toleranceBps`, or type(uint256).max when every weight is inside.
    /// @dev With v_j = balance_j * price_j and V = Σ v_j, token j passes when
    ///      |v_j * 10000 - target_j * V| <= toleranceBps * V.
    function firstWeightMiss(
        uint256[] memory balances,
        uint256[] memory prices,
        uint256[] memory targetWeightBps,
        uint256 toleranceBps
    ) internal pure returns (uint256) {
        uint256 n = balances.length;
        uint256[] memory values = new uint256[](n);
        uint256 total;
        for (uint256 j; j < n; ++j) {
            values[j] = balances[j] * prices[j];
            total += values[j];
        }
        uint256 slack = toleranceBps * total;
        for (uint256 j; j < n; ++j) {
            uint256 actual = values[j] * BPS;
            uint256 wanted = targetWeightBps[j] * total;
            uint256 gap = actual > wanted ? actual - wanted : wanted - actual;
            if (gap > slack) return j;
        }
        return type(uint256).max;
    }

    /// @notice Index of the first token whose balance lies outside [minBalance, maxBalance],
    ///         or type(uint256).max when all are inside.
    /// @dev Assembly loops (these run per execution); bounds are checked once up front.
    function firstBalanceMiss(
        uint256[] memory balances,
        uint256[] memory minBalance,
        uint256[] memory maxBalance
    ) internal pure returns (uint256 miss) {
        miss = type(uint256).max;
        uint256 n = balances.length;
        // the bounds arrays are read for every j < n, so they must be that long (as indexing would check)
        if (minBalance.length < n || maxBalance.length < n) Panic.outOfBounds();
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, add(j, 1))
                let b := mload(add(balances, w))
                if or(lt(b, mload(add(minBalance, w))), gt(b, mload(add(maxBalance, w)))) {
                    miss := j
                    break
                }
            }
        }
    }

    /// @notice The value a user gives and receives at the clearing prices:
    ///         given = Σ -flow_j * price_j over outflows, received = Σ flow_j * price_j over inflows.
    /// @dev Overflow reverts with Panic(0x11), exactly as checked arithmetic did.
    function valueOf(int256[] memory flows, uint256[] memory prices)
        internal
        pure
        returns (uint256 given, uint256 received)
    {
        uint256 n = flows.length;
        if (prices.length < n) Panic.outOfBounds();
        bool overflow;
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let flow := mload(add(flows, shl(5, add(j, 1))))
                let price := mload(add(prices, shl(5, add(j, 1))))
                switch slt(flow, 0)
                case 1 {
                    // -flow overflows only for type(int256).min
                    let amount := sub(0, flow)
                    let v := mul(amount, price)
                    overflow := or(overflow, or(eq(flow, shl(255, 1)), iszero(or(iszero(amount), eq(div(v, amount), price)))))
                    let sum := add(given, v)
                    overflow := or(overflow, lt(sum, given))
                    given := sum
                }
                default {
                    let v := mul(flow, price)
                    overflow := or(overflow, iszero(or(iszero(flow), eq(div(v, flow), price))))
                    let sum := add(received, v)
                    overflow := or(overflow, lt(sum, received))
                    received := sum
                }
                if overflow { break }
            }
        }
        if (overflow) Panic.overflow();
    }
}
