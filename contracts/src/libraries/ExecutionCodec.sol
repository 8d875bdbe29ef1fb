// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Intent, IBatchSettlement} from "../interfaces/IBatchSettlement.sol";

/// @title ExecutionCodec
/// @notice Decodes one compact execution (an element of `settle`'s `bytes[] executions`) into
///         the signed `Intent` it carries, each intent token's index in the batch's `tokens`,
///         its signed flows and where its signature lies in calldata. The user's EIP-712
///         intent is unchanged: the contract re-hashes the decoded `Intent`.
/// @dev The encoding (docs/interfaces.md, "Compact executions"), big-endian, packed:
///        owner (20 bytes) ‖ flags (1: kind in the low nibble, signing scheme in the high) ‖
///        n (1: the intent's token count) ‖ validTo ‖ nonce ‖ maxFeeBps ‖ toleranceBps ‖
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
        uint256 pulls;
    }

    uint256 internal constant KIND_WEIGHTS = 0;
    uint256 internal constant KIND_BALANCES = 1;
    /// @dev owner (20) + flags (1) + n (1).
    uint256 private constant HEAD_BYTES = 22;

    /// @notice Decode execution `i` of the batch.
    /// @param blob The compact execution.
    /// @param tokens The batch's tokens (indices point into them).
    /// @param i The execution's index, for errors.
    /// @return d The decoded execution.
    function decode(bytes calldata blob, address[] calldata tokens, uint256 i) internal pure returns (Decoded memory d) {
        (uint256 kind, uint256 n, uint256 cursor) = _head(d, blob, i);
        uint256 end;
        assembly ("memory-safe") {
            end := add(blob.offset, blob.length)
        }
        Intent memory intent = d.intent;
        intent.tokens = new address[](n);
        intent.minPrice = new uint256[](n);
        intent.maxPrice = new uint256[](n);
        if (kind == KIND_WEIGHTS) {
            intent.targetWeightBps = new uint256[](n);
        } else {
            intent.minBalance = new uint256[](n);
            intent.maxBalance = new uint256[](n);
        }
        d.priceIndex = new uint256[](n);
        d.flows = new int256[](n);
        cursor = _perToken(d, tokens, cursor, end, i);
        d.signatureOffset = cursor;
        d.signatureLength = end - cursor;
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

    /// @dev owner, flags, n and the four scalar fields; returns the kind, n and the cursor.
    function _head(Decoded memory d, bytes calldata blob, uint256 i)
        private
        pure
        returns (uint256 kind, uint256 n, uint256 cursor)
    {
        Intent memory intent = d.intent;
        bool bad = blob.length < HEAD_BYTES;
        uint256 scheme;
        assembly ("memory-safe") {
            let end := add(blob.offset, blob.length)
            let head := calldataload(blob.offset)
            mstore(intent, shr(96, head)) // owner
            let flags := byte(20, head)
            kind := and(flags, 0x0f)
            scheme := shr(4, flags)
            n := byte(21, head)
            cursor := add(blob.offset, HEAD_BYTES)
            bad := or(bad, or(gt(kind, KIND_BALANCES), lt(n, 2)))
            mstore(add(intent, 0x80), kind)
            // validTo(0x140) nonce(0x160) maxFeeBps(0x120) toleranceBps(0xc0)
            for { let fields := 0x0c0120160140 } fields { fields := shr(12, fields) } {
                let h := byte(0, calldataload(cursor))
                let size := mul(lt(h, 33), h)
                bad := or(bad, or(and(gt(h, 32), iszero(eq(h, 0xff))), gt(add(cursor, add(1, size)), end)))
                let v := shr(sub(256, shl(3, size)), calldataload(add(cursor, 1)))
                if eq(h, 0xff) { v := not(0) }
                mstore(add(intent, and(fields, 0xfff)), v)
                cursor := add(cursor, add(1, size))
            }
        }
        if (bad) revert IBatchSettlement.MalformedExecution(i);
        d.scheme = scheme;
    }

    /// @dev The n token records: index (checked against the batch), bounds, outcome fields,
    ///      flow. Returns the cursor past them.
    function _perToken(Decoded memory d, address[] calldata tokens, uint256 cursor, uint256 end, uint256 i)
        private
        pure
        returns (uint256)
    {
        Intent memory intent = d.intent;
        uint256 kind = intent.kind;
        uint256 badIndex; // 1 + the first token whose index is past the batch's tokens, or 0
        bool bad;
        uint256 pulls;
        assembly ("memory-safe") {
            // one unsigned field at `c`: (value, next cursor, malformed?)
            function readUint(c, e) -> v, next, malformed {
                let h := byte(0, calldataload(c))
                let size := mul(lt(h, 33), h)
                next := add(c, add(1, size))
                malformed := or(and(gt(h, 32), iszero(eq(h, 0xff))), gt(next, e))
                v := shr(sub(256, shl(3, size)), calldataload(add(c, 1)))
                if eq(h, 0xff) { v := not(0) }
            }
            let n := mload(mload(add(intent, 0x20)))
            let addrs := add(mload(add(intent, 0x20)), 0x20)
            let mins := add(mload(add(intent, 0x40)), 0x20)
            let maxs := add(mload(add(intent, 0x60)), 0x20)
            let weights := add(mload(add(intent, 0xa0)), 0x20)
            let minBals := add(mload(add(intent, 0xe0)), 0x20)
            let maxBals := add(mload(add(intent, 0x100)), 0x20)
            let indices := add(mload(add(d, 0x20)), 0x20)
            let flows := add(mload(add(d, 0x40)), 0x20)
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, j)
                let k := byte(0, calldataload(cursor))
                cursor := add(cursor, 1)
                bad := or(bad, gt(cursor, end))
                if iszero(lt(k, tokens.length)) {
                    badIndex := add(j, 1)
                    break
                }
                let token := calldataload(add(tokens.offset, shl(5, k)))
                if shr(160, token) { revert(0, 0) }
                mstore(add(indices, w), k)
                mstore(add(addrs, w), token)
                let v, m
                v, cursor, m := readUint(cursor, end)
                bad := or(bad, m)
                mstore(add(mins, w), v)
                v, cursor, m := readUint(cursor, end)
                bad := or(bad, m)
                mstore(add(maxs, w), v)
                switch kind
                case 0 {
                    v, cursor, m := readUint(cursor, end)
                    bad := or(bad, m)
                    mstore(add(weights, w), v)
                }
                default {
                    v, cursor, m := readUint(cursor, end)
                    bad := or(bad, m)
                    mstore(add(minBals, w), v)
                    v, cursor, m := readUint(cursor, end)
                    bad := or(bad, m)
                    mstore(add(maxBals, w), v)
                }
                // the flow: sign in bit 7 of its header, magnitude within int256
                let h := byte(0, calldataload(cursor))
                let size := and(h, 0x7f)
                let negative := shr(7, h)
                let magnitude := shr(sub(256, shl(3, size)), calldataload(add(cursor, 1))) // size 0: shr(256) = 0
                cursor := add(cursor, add(1, size))
                bad := or(bad, or(gt(size, 32), gt(cursor, end)))
                // positive: below 2**255; negative: at most 2**255 (int256.min)
                bad := or(bad, gt(magnitude, sub(shl(255, 1), iszero(negative))))
                mstore(add(flows, w), mul(magnitude, sub(1, shl(1, negative))))
                pulls := add(pulls, and(negative, iszero(iszero(magnitude))))
            }
        }
        if (badIndex != 0) revert IBatchSettlement.TokenIndexOutOfRange(i, badIndex - 1);
        if (bad) revert IBatchSettlement.MalformedExecution(i);
        d.pulls = pulls;
        return cursor;
    }
}
