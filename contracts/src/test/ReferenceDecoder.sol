// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Intent, IBatchSettlement} from "../interfaces/IBatchSettlement.sol";
import {DecodedView} from "./CodecHarness.sol";

/// @title ReferenceDecoder
/// @notice Test-only: the compact execution format (docs/interfaces.md) decoded the plain way
///         — `abi.decode` of the whole argument list into memory, then a byte-by-byte reader
///         with checked arithmetic, and the EIP-712 struct hash by `abi.encode` — as the
///         independent second implementation `ExecutionCodec` is fuzzed against.
contract ReferenceDecoder {
    bytes32 internal constant INTENT_TYPEHASH = keccak256(
        "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,uint256 maxFeeBps,uint256 validTo,uint256 nonce)"
    );

    bytes32 internal constant GUARDED_INTENT_TYPEHASH = keccak256(
        "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,uint256 maxFeeBps,uint256 validTo,uint256 nonce,uint256 maxOracleDeviationBps)"
    );

    /// @notice Same interface as `CodecHarness.decode`; the arguments are re-read by `abi.decode`.
    /// @return decoded One view per execution.
    function decode(address[] calldata, bytes[] calldata) external pure returns (DecodedView[] memory decoded) {
        (address[] memory tokens, bytes[] memory executions) = abi.decode(msg.data[4:], (address[], bytes[]));
        decoded = new DecodedView[](executions.length);
        for (uint256 i; i < executions.length; ++i) {
            decoded[i] = _decode(executions[i], tokens, i);
        }
    }

    function _decode(bytes memory b, address[] memory tokens, uint256 i) private pure returns (DecodedView memory v) {
        if (b.length < 22) revert IBatchSettlement.MalformedExecution(i);
        Intent memory intent = v.intent;
        uint256 owner;
        for (uint256 k; k < 20; ++k) {
            owner = (owner << 8) | uint8(b[k]);
        }
        intent.owner = address(uint160(owner));
        uint256 kind = uint8(b[20]) & 0x07;
        v.oracleGuarded = (uint8(b[20]) & 0x08) != 0;
        v.scheme = uint8(b[20]) >> 4;
        uint256 n = uint8(b[21]);
        if (kind > 1 || n < 2) revert IBatchSettlement.MalformedExecution(i);
        intent.kind = uint8(kind);
        uint256 c = 22;
        (intent.validTo, c) = _uint(b, c, i);
        (intent.nonce, c) = _uint(b, c, i);
        (intent.maxFeeBps, c) = _uint(b, c, i);
        (intent.toleranceBps, c) = _uint(b, c, i);
        if (v.oracleGuarded) (v.maxOracleDeviationBps, c) = _uint(b, c, i);
        intent.tokens = new address[](n);
        intent.minPrice = new uint256[](n);
        intent.maxPrice = new uint256[](n);
        if (kind == 0) {
            intent.targetWeightBps = new uint256[](n);
        } else {
            intent.minBalance = new uint256[](n);
            intent.maxBalance = new uint256[](n);
        }
        v.priceIndex = new uint256[](n);
        v.flows = new int256[](n);
        for (uint256 j; j < n; ++j) {
            if (c >= b.length) revert IBatchSettlement.MalformedExecution(i);
            uint256 index = uint8(b[c++]);
            if (index >= tokens.length) revert IBatchSettlement.TokenIndexOutOfRange(i, j);
            v.priceIndex[j] = index;
            intent.tokens[j] = tokens[index];
            (intent.minPrice[j], c) = _uint(b, c, i);
            (intent.maxPrice[j], c) = _uint(b, c, i);
            if (kind == 0) {
                (intent.targetWeightBps[j], c) = _uint(b, c, i);
            } else {
                (intent.minBalance[j], c) = _uint(b, c, i);
                (intent.maxBalance[j], c) = _uint(b, c, i);
            }
            (v.flows[j], c) = _int(b, c, i);
        }
        v.signature = new bytes(b.length - c);
        for (uint256 k; k < v.signature.length; ++k) {
            v.signature[k] = b[c + k];
        }
        v.structHash = v.oracleGuarded ? _hashGuarded(intent, v.maxOracleDeviationBps) : _hash(intent);
    }

    function _uint(bytes memory b, uint256 c, uint256 i) private pure returns (uint256 value, uint256 next) {
        if (c >= b.length) revert IBatchSettlement.MalformedExecution(i);
        uint256 h = uint8(b[c]);
        if (h == 0xff) return (type(uint256).max, c + 1);
        if (h > 32 || c + 1 + h > b.length) revert IBatchSettlement.MalformedExecution(i);
        for (uint256 k; k < h; ++k) {
            value = (value << 8) | uint8(b[c + 1 + k]);
        }
        next = c + 1 + h;
    }

    function _int(bytes memory b, uint256 c, uint256 i) private pure returns (int256 value, uint256 next) {
        if (c >= b.length) revert IBatchSettlement.MalformedExecution(i);
        uint256 h = uint8(b[c]);
        bool negative = h >= 0x80;
        uint256 size = h & 0x7f;
        if (size > 32 || c + 1 + size > b.length) revert IBatchSettlement.MalformedExecution(i);
        uint256 magnitude;
        for (uint256 k; k < size; ++k) {
            magnitude = (magnitude << 8) | uint8(b[c + 1 + k]);
        }
        next = c + 1 + size;
        if (negative) {
            if (magnitude > 2 ** 255) revert IBatchSettlement.MalformedExecution(i);
            value = magnitude == 2 ** 255 ? type(int256).min : -int256(magnitude);
        } else {
            if (magnitude >= 2 ** 255) revert IBatchSettlement.MalformedExecution(i);
            value = int256(magnitude);
        }
    }

    function _hashGuarded(Intent memory t, uint256 maxDeviationBps) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    GUARDED_INTENT_TYPEHASH,
                    t.owner,
                    keccak256(abi.encodePacked(t.tokens)),
                    keccak256(abi.encodePacked(t.minPrice)),
                    keccak256(abi.encodePacked(t.maxPrice)),
                    t.kind,
                    keccak256(abi.encodePacked(t.targetWeightBps))
                ),
                abi.encode(
                    t.toleranceBps,
                    keccak256(abi.encodePacked(t.minBalance)),
                    keccak256(abi.encodePacked(t.maxBalance)),
                    t.maxFeeBps,
                    t.validTo,
                    t.nonce,
                    maxDeviationBps
                )
            )
        );
    }

    function _hash(Intent memory t) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                INTENT_TYPEHASH,
                t.owner,
                keccak256(abi.encodePacked(t.tokens)),
                keccak256(abi.encodePacked(t.minPrice)),
                keccak256(abi.encodePacked(t.maxPrice)),
                t.kind,
                keccak256(abi.encodePacked(t.targetWeightBps)),
                t.toleranceBps,
                keccak256(abi.encodePacked(t.minBalance)),
                keccak256(abi.encodePacked(t.maxBalance)),
                t.maxFeeBps,
                t.validTo,
                t.nonce
            )
        );
    }
}
