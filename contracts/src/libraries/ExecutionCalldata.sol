// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Execution} from "../interfaces/IBatchSettlement.sol";

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
    function atChecked(Execution[] calldata executions, uint256 i) internal pure returns (uint256 e, uint256 intent) {
        assembly ("memory-safe") {
            e := add(executions.offset, calldataload(add(executions.offset, shl(5, i))))
            intent := add(e, calldataload(e))
        }
    }

    /// @notice `array` for an array `array` has already accepted in this call: no checks.
    function arrayChecked(uint256 head, uint256 field) internal pure returns (uint256 start, uint256 length) {
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
