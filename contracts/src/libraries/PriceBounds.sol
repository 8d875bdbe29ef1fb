// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title PriceBounds
/// @notice Whether an execution's clearing prices lie inside the bounds its intent signed.
/// @dev Bounds are numeraire base units per token base unit, scaled by 1e18 (docs/interfaces.md).
library PriceBounds {
    uint256 internal constant PRICE_SCALE = 1e18;

    /// @notice The first intent token (j >= 1) that matters and whose clearing price lies
    ///         outside its signed bounds, compared exactly by cross-multiplication:
    ///         `minPrice_j * price_0 <= price_j * 1e18 <= maxPrice_j * price_0`, each side a
    ///         full 512-bit product, so no ratio is ever rounded and nothing overflows.
    /// @dev A token matters when `allMatter` or its flow is non-zero. The four arrays hold one
    ///      entry per intent token and every index is below `prices.length` (the decoder and
    ///      `settle` checked both). A zero numeraire price misses at token 0.
    /// @param prices The batch's clearing prices.
    /// @param priceIndex Each intent token's index in the batch.
    /// @param flows The execution's signed flows.
    /// @param minPrice The intent's lower bounds.
    /// @param maxPrice The intent's upper bounds.
    /// @param allMatter True for a WEIGHTS intent: every token values its outcome.
    /// @return miss 1 + the first token out of bounds, or 0.
    /// @return relative That token's price in the numeraire, 1e18-scaled and rounded down
    ///         (for the error only; type(uint256).max when it does not fit).
    function firstMiss(
        uint256[] calldata prices,
        uint256[] memory priceIndex,
        int256[] memory flows,
        uint256[] memory minPrice,
        uint256[] memory maxPrice,
        bool allMatter
    ) internal pure returns (uint256 miss, uint256 relative) {
        uint256 n = priceIndex.length;
        uint256 numerairePrice;
        assembly ("memory-safe") {
            numerairePrice := calldataload(add(prices.offset, shl(5, mload(add(priceIndex, 0x20)))))
        }
        if (numerairePrice == 0) return (1, 0);
        uint256 price;
        assembly ("memory-safe") {
            // a*b < c*d on 512-bit products: (hi, lo) of a*b from mul and mulmod(a, b, 2**256 - 1)
            function lessThan(a, b, c, d) -> r {
                let lo1 := mul(a, b)
                let mm1 := mulmod(a, b, not(0))
                let hi1 := sub(sub(mm1, lo1), lt(mm1, lo1))
                let lo2 := mul(c, d)
                let mm2 := mulmod(c, d, not(0))
                let hi2 := sub(sub(mm2, lo2), lt(mm2, lo2))
                r := or(lt(hi1, hi2), and(eq(hi1, hi2), lt(lo1, lo2)))
            }
            for { let j := 1 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, add(j, 1))
                if or(allMatter, mload(add(flows, w))) {
                    price := calldataload(add(prices.offset, shl(5, mload(add(priceIndex, w)))))
                    // price_j * 1e18 < minPrice_j * price_0, or maxPrice_j * price_0 < price_j * 1e18
                    if or(lessThan(price, PRICE_SCALE, mload(add(minPrice, w)), numerairePrice),
                          lessThan(mload(add(maxPrice, w)), numerairePrice, price, PRICE_SCALE)) {
                        miss := add(j, 1)
                        break
                    }
                }
            }
        }
        if (miss != 0) relative = price <= type(uint256).max / PRICE_SCALE ? price * PRICE_SCALE / numerairePrice : type(uint256).max;
    }

    /// @notice The clearing price of each intent token, in intent token order.
    /// @param clearingPrices The batch's prices.
    /// @param priceIndex Each intent token's index in the batch (all below its length).
    /// @return prices A fresh memory array.
    function pricesOf(uint256[] calldata clearingPrices, uint256[] memory priceIndex)
        internal
        pure
        returns (uint256[] memory prices)
    {
        uint256 n = priceIndex.length;
        prices = new uint256[](n);
        assembly ("memory-safe") {
            for { let w := 0x20 } iszero(gt(w, shl(5, n))) { w := add(w, 0x20) } {
                mstore(add(prices, w), calldataload(add(clearingPrices.offset, shl(5, mload(add(priceIndex, w))))))
            }
        }
    }
}
