// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Execution, Intent} from "../interfaces/IBatchSettlement.sol";

/// @title ExecutionCalldata
/// @notice Reads one `Execution` of `settle`'s calldata by hand: each part once, as a typed
///         calldata slice, without the nested-struct accessors the compiler generates (every
///         `executions[i].intent.tokens` re-validated three offsets, ~10k gas per execution).
/// @dev Checks what the ABI decoder checks, and reverts without data like it: every offset
///      and length below 2**64, every head and array inside the calldata, every address word
///      clean above bit 160 and every uint8 word below 256. Positions are absolute calldata
///      offsets. Field numbers are word positions in the struct's head (docs/interfaces.md).
library ExecutionCalldata {
    uint256 private constant MAX_OFFSET = 0xffffffffffffffff;

    // Execution head: intent(0) signingScheme(1) signature(2) priceIndex(3) flows(4)
    uint256 internal constant SCHEME = 1;
    uint256 internal constant SIGNATURE = 2;
    uint256 internal constant PRICE_INDEX = 3;
    uint256 internal constant FLOWS = 4;
    // Intent head: owner(0) tokens(1) minPrice(2) maxPrice(3) kind(4) targetWeightBps(5)
    // toleranceBps(6) minBalance(7) maxBalance(8) maxFeeBps(9) validTo(10) nonce(11)
    uint256 internal constant OWNER = 0;
    uint256 internal constant TOKENS = 1;
    uint256 internal constant MIN_PRICE = 2;
    uint256 internal constant MAX_PRICE = 3;
    uint256 internal constant KIND = 4;
    uint256 internal constant TARGET_WEIGHT_BPS = 5;
    uint256 internal constant TOLERANCE_BPS = 6;
    uint256 internal constant MIN_BALANCE = 7;
    uint256 internal constant MAX_BALANCE = 8;
    uint256 internal constant MAX_FEE_BPS = 9;
    uint256 internal constant VALID_TO = 10;
    uint256 internal constant NONCE = 11;

    /// @notice Where `executions[i]` and its intent start. `i` must be below the length.
    function at(Execution[] calldata executions, uint256 i) internal pure returns (uint256 e, uint256 intent) {
        assembly ("memory-safe") {
            let rel := calldataload(add(executions.offset, shl(5, i)))
            e := add(executions.offset, rel)
            let irel := calldataload(e)
            intent := add(e, irel)
            // heads: Execution has 5 words, Intent 12
            if or(or(gt(rel, MAX_OFFSET), gt(irel, MAX_OFFSET)),
                  or(gt(add(e, 0xa0), calldatasize()), gt(add(intent, 0x180), calldatasize()))) { revert(0, 0) }
        }
    }

    /// @notice `at` for an execution `at` has already accepted in this call: no checks.
    function atUnchecked(Execution[] calldata executions, uint256 i) internal pure returns (uint256 e, uint256 intent) {
        assembly ("memory-safe") {
            e := add(executions.offset, calldataload(add(executions.offset, shl(5, i))))
            intent := add(e, calldataload(e))
        }
    }

    /// @notice `array` for an array `array` has already accepted in this call: no checks.
    function arrayUnchecked(uint256 head, uint256 field) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let p := add(head, calldataload(add(head, shl(5, field))))
            length := calldataload(p)
            start := add(p, 0x20)
        }
    }

    /// @notice The static word `field` of the head at `head`.
    function word(uint256 head, uint256 field) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := calldataload(add(head, shl(5, field)))
        }
    }

    /// @notice The address word `field` of the head at `head`; reverts when it is dirty.
    function addressAt(uint256 head, uint256 field) internal pure returns (address value) {
        assembly ("memory-safe") {
            let v := calldataload(add(head, shl(5, field)))
            if shr(160, v) { revert(0, 0) }
            value := v
        }
    }

    /// @notice The uint8 word `field` of the head at `head`; reverts when it is 256 or more.
    function uint8At(uint256 head, uint256 field) internal pure returns (uint8 value) {
        assembly ("memory-safe") {
            let v := calldataload(add(head, shl(5, field)))
            if shr(8, v) { revert(0, 0) }
            value := v
        }
    }

    /// @notice First element and length of the 32-byte-element array whose offset (relative
    ///         to `head`) is word `field` of `head`.
    function array(uint256 head, uint256 field) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let rel := calldataload(add(head, shl(5, field)))
            let p := add(head, rel)
            length := calldataload(p)
            start := add(p, 0x20)
            if or(or(gt(rel, MAX_OFFSET), gt(length, MAX_OFFSET)), gt(add(start, shl(5, length)), calldatasize())) {
                revert(0, 0)
            }
        }
    }

    /// @notice `uint256[]` at word `field` of `head`, already accepted by `array`: no checks.
    function uintsUnchecked(uint256 head, uint256 field) internal pure returns (uint256[] calldata a) {
        (uint256 start, uint256 length) = arrayUnchecked(head, field);
        assembly ("memory-safe") {
            a.offset := start
            a.length := length
        }
    }

    /// @notice `int256[]` at word `field` of `head`, already accepted by `array`: no checks.
    function intsUnchecked(uint256 head, uint256 field) internal pure returns (int256[] calldata a) {
        (uint256 start, uint256 length) = arrayUnchecked(head, field);
        assembly ("memory-safe") {
            a.offset := start
            a.length := length
        }
    }

    /// @notice `address[]` at word `field` of `head`, already accepted by `array` and
    ///         `matchTokens` (so every element is a clean address): no checks.
    function addressesUnchecked(uint256 head, uint256 field) internal pure returns (address[] calldata a) {
        (uint256 start, uint256 length) = arrayUnchecked(head, field);
        assembly ("memory-safe") {
            a.offset := start
            a.length := length
        }
    }

    /// @notice The intent whose head starts at `intent`, as a typed calldata struct.
    function intentAt(uint256 intent) internal pure returns (Intent calldata typed) {
        assembly ("memory-safe") {
            typed := intent
        }
    }

    /// @notice Checks that each intent token `own[j]` is a clean address equal to
    ///         `tokens[priceIndex[j]]`, and counts the negative flows.
    /// @dev The three arrays have `n` entries each (the caller checked). A dirty address word
    ///      reverts without data, as the ABI decoder would.
    /// @param tokens The batch's tokens.
    /// @param own Start of the intent's `tokens` elements.
    /// @param priceIndex Start of the execution's `priceIndex` elements.
    /// @param flows Start of the execution's `flows` elements.
    /// @param n Their common length.
    /// @return outflows How many flows are negative.
    /// @return mismatch 1 + the first intent token that names another batch token, or 0.
    function matchTokens(address[] calldata tokens, uint256 own, uint256 priceIndex, uint256 flows, uint256 n)
        internal
        pure
        returns (uint256 outflows, uint256 mismatch)
    {
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, j)
                let token := calldataload(add(own, w))
                if shr(160, token) { revert(0, 0) }
                let k := calldataload(add(priceIndex, w))
                if or(iszero(lt(k, tokens.length)), iszero(eq(calldataload(add(tokens.offset, shl(5, k))), token))) {
                    mismatch := add(j, 1)
                    break
                }
                outflows := add(outflows, slt(calldataload(add(flows, w)), 0))
            }
        }
    }

    /// @notice The clearing price of each of an execution's `n` tokens, in intent token order.
    /// @param clearingPrices The batch's prices.
    /// @param priceIndex Start of the execution's `priceIndex` elements, already checked in range.
    /// @param n How many.
    /// @return prices A fresh memory array of `n` prices.
    function pricesOf(uint256[] calldata clearingPrices, uint256 priceIndex, uint256 n)
        internal
        pure
        returns (uint256[] memory prices)
    {
        prices = new uint256[](n);
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, j)
                mstore(add(add(prices, 0x20), w), calldataload(add(clearingPrices.offset, shl(5, calldataload(add(priceIndex, w))))))
            }
        }
    }

    /// @notice `bytes` at word `field` of `head`.
    function bytesAt(uint256 head, uint256 field) internal pure returns (bytes calldata b) {
        assembly ("memory-safe") {
            let rel := calldataload(add(head, shl(5, field)))
            let p := add(head, rel)
            let length := calldataload(p)
            let start := add(p, 0x20)
            if or(or(gt(rel, MAX_OFFSET), gt(length, MAX_OFFSET)), gt(add(start, length), calldatasize())) {
                revert(0, 0)
            }
            b.offset := start
            b.length := length
        }
    }
}
