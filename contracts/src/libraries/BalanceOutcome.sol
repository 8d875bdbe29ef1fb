// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Panic} from "./Panic.sol";

/// @title BalanceOutcome
/// @notice A BALANCES execution's outcome and value in one pass over its tokens: the owner's
///         post-batch balance of each token (one `balanceOf` each) against the signed
///         [minBalance, maxBalance], and the value it gave and received at the clearing prices.
/// @dev Same results, in the same order, as `SafeTransfers.balancesOf` + `Outcome.firstBalanceMiss`
///      + `PriceBounds.pricesOf` + `Outcome.valueOf`, without their three memory arrays:
///      every balance is read (a reverting token reverts, whatever an earlier token did), the
///      first token outside its bounds wins, and arithmetic overflow is `Panic(0x11)` only when
///      every balance is inside (the outcome refusal comes first, as before). Products are
///      exact integers: nothing rounds.
library BalanceOutcome {
    /// @notice No token missed its bounds.
    uint256 internal constant NO_MISS = type(uint256).max;

    /// @notice The first token outside its balance bounds (or NO_MISS), and the value given and received.
    /// @param owner Whose balances.
    /// @param tokens The intent's tokens.
    /// @param minBalance The signed lower bounds (at least `tokens.length` entries).
    /// @param maxBalance The signed upper bounds (likewise).
    /// @param clearingPrices The batch's prices.
    /// @param priceIndex Each intent token's index in `clearingPrices` (all in range: the decoder checked).
    /// @param flows The signed flows (< 0 given, > 0 received).
    /// @return miss The first intent token index outside its bounds, or NO_MISS.
    /// @return given Σ -flow_j · price_j over outflows.
    /// @return received Σ flow_j · price_j over inflows.
    function check(
        address owner,
        address[] memory tokens,
        uint256[] memory minBalance,
        uint256[] memory maxBalance,
        uint256[] calldata clearingPrices,
        uint256[] memory priceIndex,
        int256[] memory flows
    ) internal view returns (uint256 miss, uint256 given, uint256 received) {
        uint256 n = tokens.length;
        if (minBalance.length < n || maxBalance.length < n || priceIndex.length < n || flows.length < n) {
            Panic.outOfBounds();
        }
        miss = NO_MISS;
        bool overflow;
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x70a08231)) // balanceOf(address): the selector stays in word 0's head
            for { let w := 0x20 } iszero(gt(w, shl(5, n))) { w := add(w, 0x20) } {
                // balanceOf(owner) of token j, answer into scratch word 0 (a high-level call's checks)
                mstore(0x04, owner)
                if iszero(staticcall(gas(), mload(add(tokens, w)), 0x00, 0x24, 0x00, 0x20)) {
                    let m := mload(0x40)
                    returndatacopy(m, 0, returndatasize())
                    revert(m, returndatasize())
                }
                if lt(returndatasize(), 0x20) { revert(0, 0) }
                let b := mload(0x00)
                mstore(0x00, shl(224, 0x70a08231))
                if and(iszero(not(miss)), or(lt(b, mload(add(minBalance, w))), gt(b, mload(add(maxBalance, w))))) {
                    miss := sub(shr(5, w), 1)
                }
                // the value: -flow overflows only for type(int256).min
                let flow := mload(add(flows, w))
                let price := calldataload(add(clearingPrices.offset, shl(5, mload(add(priceIndex, w)))))
                switch slt(flow, 0)
                case 1 {
                    let amount := sub(0, flow)
                    let v := mul(amount, price)
                    overflow := or(overflow, or(eq(flow, shl(255, 1)), iszero(eq(div(v, amount), price))))
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
            }
        }
        if (overflow && miss == NO_MISS) Panic.overflow();
    }
}
