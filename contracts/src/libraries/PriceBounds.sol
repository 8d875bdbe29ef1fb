// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Panic} from "./Panic.sol";

/// @title PriceBounds
/// @notice Whether an execution's clearing prices lie inside the bounds its intent signed.
/// @dev Bounds are numeraire base units per token base unit, scaled by 1e18 (docs/interfaces.md).
library PriceBounds {
    uint256 internal constant PRICE_SCALE = 1e18;

    /// @notice The first intent token (j >= 1) that matters and whose relative price
    ///         `price_j * 1e18 / price_0` (rounded down) lies outside `[minPrice_j, maxPrice_j]`.
    /// @dev A token matters when `allMatter` or its flow is non-zero. Overflow of
    ///      `price * 1e18` reverts with Panic(0x11). All arrays hold `n` words (checked by the caller).
    /// @param prices The batch's clearing prices.
    /// @param priceIndex Start of the execution's `priceIndex` elements.
    /// @param flows Start of the execution's `flows` elements.
    /// @param minPrice Start of the intent's `minPrice` elements.
    /// @param maxPrice Start of the intent's `maxPrice` elements.
    /// @param n How many tokens the intent has.
    /// @param allMatter True for a WEIGHTS intent: every token values its outcome.
    /// @return miss 1 + the first token out of bounds, or 0.
    /// @return relative That token's relative price (meaningful only when `miss != 0`).
    function firstMiss(
        uint256[] calldata prices,
        uint256 priceIndex,
        uint256 flows,
        uint256 minPrice,
        uint256 maxPrice,
        uint256 n,
        bool allMatter
    ) internal pure returns (uint256 miss, uint256 relative) {
        uint256 numerairePrice;
        assembly ("memory-safe") {
            numerairePrice := calldataload(add(prices.offset, shl(5, calldataload(priceIndex))))
        }
        if (numerairePrice == 0) return (1, 0);
        bool overflow;
        assembly ("memory-safe") {
            for { let j := 1 } lt(j, n) { j := add(j, 1) } {
                let at := shl(5, j)
                if or(allMatter, calldataload(add(flows, at))) {
                    let price := calldataload(add(prices.offset, shl(5, calldataload(add(priceIndex, at)))))
                    let scaled := mul(price, PRICE_SCALE)
                    if iszero(eq(div(scaled, PRICE_SCALE), price)) {
                        overflow := 1
                        break
                    }
                    relative := div(scaled, numerairePrice)
                    if or(lt(relative, calldataload(add(minPrice, at))), gt(relative, calldataload(add(maxPrice, at)))) {
                        miss := add(j, 1)
                        break
                    }
                }
            }
        }
        if (overflow) Panic.overflow();
    }
}
