// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

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
        uint256[] calldata targetWeightBps,
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
    function firstBalanceMiss(
        uint256[] memory balances,
        uint256[] calldata minBalance,
        uint256[] calldata maxBalance
    ) internal pure returns (uint256) {
        for (uint256 j; j < balances.length; ++j) {
            if (balances[j] < minBalance[j] || balances[j] > maxBalance[j]) return j;
        }
        return type(uint256).max;
    }

    /// @notice The value a user gives and receives at the clearing prices:
    ///         given = Σ -flow_j * price_j over outflows, received = Σ flow_j * price_j over inflows.
    function valueOf(int256[] calldata flows, uint256[] memory prices)
        internal
        pure
        returns (uint256 given, uint256 received)
    {
        for (uint256 j; j < flows.length; ++j) {
            int256 flow = flows[j];
            if (flow < 0) given += uint256(-flow) * prices[j];
            else received += uint256(flow) * prices[j];
        }
    }
}
