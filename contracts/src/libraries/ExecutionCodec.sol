// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Intent} from "../interfaces/IBatchSettlement.sol";

/// @title ExecutionCodec
/// @notice Decodes one compact execution (an element of `settle`'s `bytes[] executions`) into
///         the signed `Intent` it carries, each intent token's index in the batch's `tokens`,
///         its signed flows and where its signature lies in calldata. The user's EIP-712
///         intent is unchanged: the contract re-hashes the decoded `Intent`.
/// @dev The encoding (docs/interfaces.md, "Compact executions"), big-endian, packed:
///        owner (20 bytes) ‖ flags (1: kind in bits 0-2, oracle-guarded in bit 3, signing
///        scheme in bits 4-7) ‖ n (1: the intent's token count) ‖ validTo ‖ nonce ‖ maxFeeBps ‖
///        toleranceBps ‖ (oracle-guarded only: maxOracleDeviationBps) ‖
///        n × [ token index (1) ‖ minPrice ‖ maxPrice ‖ (WEIGHTS: targetWeightBps |
///              BALANCES: minBalance ‖ maxBalance) ‖ flow ] ‖ signature (the rest).
///      An unsigned field is a header byte L ≤ 32 followed by L big-endian bytes, or the
///      header 0xff alone for 2**256 - 1 (an unbounded maximum costs one byte). A flow's
///      header carries the sign in bit 7 and L in bits 0..6; its magnitude is at most 2**255
///      when negative and below 2**255 when positive (the int256 range). Anything else —
///      a header above 32, a field past the end, an unknown kind, fewer than two tokens — is
///      `MalformedExecution(i)`; a token index past the batch's tokens is
///      `TokenIndexOutOfRange(i, j)`; a dirty batch token word reverts without data, as the
///      ABI decoder does. Every read stays inside the element: bytes past its end are never
///      used, even where `calldataload` sees them.
library ExecutionCodec {
    /// @notice One decoded execution, in memory for the passes of `settle`.
    struct Decoded {
        Intent intent;
        uint256[] priceIndex;
        int256[] flows;
        uint256 scheme;
        uint256 signatureOffset;
        uint256 signatureLength;
        bool oracleGuarded;
        uint256 maxOracleDeviationBps;
    }

    uint256 internal constant KIND_WEIGHTS = 0;
    uint256 internal constant KIND_BALANCES = 1;
    /// @dev owner (20) + flags (1) + n (1).
    uint256 private constant HEAD_BYTES = 22;
    /// @dev `IBatchSettlement.MalformedExecution.selector` and `.TokenIndexOutOfRange.selector`
    ///      as numbers, for the assembly (tests decode both errors by name from real reverts).
    uint256 private constant MALFORMED = 0x7034d089;
    uint256 private constant INDEX_OUT_OF_RANGE = 0xea589eeb;

    /// @notice A memory array for `count` decoded executions, its entries not yet set.
    /// @dev Built by hand: `new Decoded[](count)` would allocate and zero a struct per entry,
    ///      only for `decodeInto` to replace it.
    /// @param count How many executions.
    /// @return decoded The array; every entry must be written by `decodeInto` before use.
    function allocate(uint256 count) internal pure returns (Decoded[] memory decoded) {
        assembly ("memory-safe") {
            decoded := mload(0x40)
            mstore(decoded, count)
            mstore(0x40, add(decoded, shl(5, add(count, 1))))
        }
    }

    /// @notice Decode execution `i` of the batch into `decoded[i]`.
    /// @dev One allocation: the `Decoded` head (8 words), its `Intent` (12 words), then seven
    ///      arrays of n + 1 words laid out back to back (tokens, minPrice, maxPrice, two
    ///      outcome arrays, priceIndex, flows), addressed from one base with one stride so the
    ///      loop keeps few variables. The outcome arrays the kind does not use point at the
    ///      empty array (0x60), as Solidity's own empty arrays do.
    /// @param decoded Where the decoded execution's pointer goes (`allocate`d).
    /// @param i The execution's index: the entry written, and the index errors name.
    /// @param blob The compact execution.
    /// @param tokens The batch's tokens (indices point into them).
    function decodeInto(Decoded[] memory decoded, uint256 i, bytes calldata blob, address[] calldata tokens)
        internal
        pure
    {
        assembly ("memory-safe") {
            function fail(selector, a) {
                mstore(0x00, shl(224, selector))
                mstore(0x04, a)
                revert(0x00, 0x24)
            }
            function fail2(selector, a, b) {
                mstore(0x00, shl(224, selector))
                mstore(0x04, a)
                mstore(0x24, b)
                revert(0x00, 0x44)
            }
            let end := add(blob.offset, blob.length)
            let head := calldataload(blob.offset)
            let kind := and(byte(20, head), 0x07)
            let n := byte(21, head)
            if or(lt(blob.length, HEAD_BYTES), or(gt(kind, KIND_BALANCES), lt(n, 2))) { fail(MALFORMED, i) }
            // the allocation
            let d := mload(0x40)
            mstore(add(decoded, shl(5, add(i, 1))), d)
            let intent := add(d, 0x100)
            let stride := shl(5, add(n, 1))
            let base := add(intent, 0x180)
            mstore(0x40, add(base, mul(7, stride)))
            mstore(d, intent)
            mstore(add(d, 0x60), shr(4, byte(20, head))) // scheme
            let guarded := and(shr(3, byte(20, head)), 1)
            mstore(add(d, 0xc0), guarded) // oracleGuarded
            mstore(intent, shr(96, head)) // owner
            mstore(add(intent, 0x80), kind)
            // the seven arrays: their pointers and lengths
            let array := base
            mstore(add(intent, 0x20), array) // tokens
            mstore(array, n)
            array := add(array, stride)
            mstore(add(intent, 0x40), array) // minPrice
            mstore(array, n)
            array := add(array, stride)
            mstore(add(intent, 0x60), array) // maxPrice
            mstore(array, n)
            array := add(array, stride)
            mstore(array, n)
            mstore(add(array, stride), n)
            switch kind
            case 0 {
                mstore(add(intent, 0xa0), array) // targetWeightBps
                mstore(add(intent, 0xe0), 0x60)
                mstore(add(intent, 0x100), 0x60)
            }
            default {
                mstore(add(intent, 0xa0), 0x60)
                mstore(add(intent, 0xe0), array) // minBalance
                mstore(add(intent, 0x100), add(array, stride)) // maxBalance
            }
            array := add(array, shl(1, stride))
            mstore(add(d, 0x20), array) // priceIndex
            mstore(array, n)
            array := add(array, stride)
            mstore(add(d, 0x40), array) // flows
            mstore(array, n)
            // An unsigned field at `c` is a header h, then h bytes (h <= 32), or h = 0xff alone for
            // 2**256 - 1; written to memory at `at`. h = 0xff shifts past 256 (reads 0) and the OR
            // makes it all ones. `isBad` for 33 <= h <= 254. No read checks the end: fields only
            // move the cursor forward (at most 33 bytes each), so one check after the last field
            // refuses any field that ran past it.
            function field(c, at) -> next, isBad {
                let h := byte(0, calldataload(c))
                mstore(at, or(shr(sub(256, shl(3, h)), calldataload(add(c, 1))), sub(0, eq(h, 0xff))))
                isBad := lt(sub(h, 33), 222)
                next := add(c, add(1, mul(h, lt(h, 33))))
            }
            let cursor := add(blob.offset, HEAD_BYTES)
            let bad, b1, b2, b3
            cursor, bad := field(cursor, add(intent, 0x140)) // validTo
            cursor, b1 := field(cursor, add(intent, 0x160)) // nonce
            cursor, b2 := field(cursor, add(intent, 0x120)) // maxFeeBps
            cursor, b3 := field(cursor, add(intent, 0xc0)) // toleranceBps
            bad := or(or(bad, b1), or(b2, b3))
            mstore(add(d, 0xe0), 0)
            if guarded {
                cursor, b1 := field(cursor, add(d, 0xe0)) // maxOracleDeviationBps
                bad := or(bad, b1)
            }
            // the n token records: index, minPrice, maxPrice, one (WEIGHTS) or two (BALANCES)
            // outcome fields, flow; array k of the block holds field k of every token
            for { let slot := 0x20 } iszero(gt(slot, shl(5, n))) { slot := add(slot, 0x20) } {
                let k := byte(0, calldataload(cursor))
                cursor := add(cursor, 1)
                if iszero(lt(k, tokens.length)) {
                    if or(bad, gt(cursor, end)) { fail(MALFORMED, i) } // an earlier field was bad, or this read ran past the end
                    fail2(INDEX_OUT_OF_RANGE, i, sub(shr(5, slot), 1))
                }
                let token := calldataload(add(tokens.offset, shl(5, k)))
                if shr(160, token) { revert(0, 0) } // a dirty address word, as the ABI decoder refuses
                let at := add(base, slot)
                mstore(at, token)
                mstore(add(at, mul(5, stride)), k)
                at := add(at, stride)
                cursor, b1 := field(cursor, at) // minPrice
                at := add(at, stride)
                cursor, b2 := field(cursor, at) // maxPrice
                at := add(at, stride)
                cursor, b3 := field(cursor, at) // targetWeightBps or minBalance
                bad := or(bad, or(b1, or(b2, b3)))
                if kind {
                    cursor, b1 := field(cursor, add(at, stride)) // maxBalance
                    bad := or(bad, b1)
                }
                // the flow: sign in bit 7 of its header; magnitude below 2**255, or 2**255 if negative
                let h := byte(0, calldataload(cursor))
                let size := and(h, 0x7f)
                let negative := shr(7, h)
                let magnitude := shr(sub(256, shl(3, size)), calldataload(add(cursor, 1))) // size 0 or > 32: 0
                cursor := add(cursor, add(1, size))
                bad := or(bad, or(gt(size, 32), gt(magnitude, sub(shl(255, 1), iszero(negative)))))
                mstore(add(add(base, mul(6, stride)), slot), mul(magnitude, sub(1, shl(1, negative))))
            }
            if or(bad, gt(cursor, end)) { fail(MALFORMED, i) }
            mstore(add(d, 0x80), cursor) // signatureOffset
            mstore(add(d, 0xa0), sub(end, cursor)) // signatureLength
        }
    }

    /// @notice The signature of a decoded execution, as a calldata slice.
    /// @param d A decoded execution.
    /// @return signature The bytes after the last token record.
    function signature(Decoded memory d) internal pure returns (bytes calldata signature) {
        uint256 offset = d.signatureOffset;
        uint256 length = d.signatureLength;
        assembly ("memory-safe") {
            signature.offset := offset
            signature.length := length
        }
    }
}
