// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Intent} from "../interfaces/IBatchSettlement.sol";

/// @title IntentHashing
/// @notice EIP-712 hashing of keel's `Intent` (docs/interfaces.md). Arrays are encoded as
///         keccak256 of their elements' 32-byte words, per EIP-712 `encodeData`.
library IntentHashing {
    /// @dev keccak256 of the type string; `intents.model.INTENT_TYPE_STRING` is the same text.
    bytes32 internal constant INTENT_TYPEHASH = keccak256(
        "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,uint256 maxFeeBps,uint256 validTo,uint256 nonce)"
    );

    /// @dev The same struct with one more field, `maxOracleDeviationBps`: the type an intent
    ///      that bounds its prices by the oracle is signed under (docs/interfaces.md).
    bytes32 internal constant GUARDED_INTENT_TYPEHASH = keccak256(
        "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,uint256 maxFeeBps,uint256 validTo,uint256 nonce,uint256 maxOracleDeviationBps)"
    );

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The domain separator for name "keel", version "1", this chain and `verifyingContract`.
    /// @param verifyingContract The settlement.
    /// @return The separator.
    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("keel"), keccak256("1"), block.chainid, verifyingContract)
        );
    }

    /// @notice hashStruct(intent): keccak256(typeHash ‖ encodeData(intent)).
    /// @dev Reads the memory struct's 12 words in place: each dynamic field's pointer becomes
    ///      keccak256 of the array's 32-byte elements (EIP-712's encoding of an array of atomic
    ///      values), each static field is copied. Written in scratch memory past the free
    ///      memory pointer, never allocated. Memory values are clean (the decoder wrote them,
    ///      or Solidity's ABI decoder validated them).
    /// @param intent The intent.
    /// @return result The struct hash.
    function hashStruct(Intent memory intent) internal pure returns (bytes32 result) {
        result = _hash(INTENT_TYPEHASH, intent, 0, false);
    }

    /// @notice hashStruct of the oracle-guarded intent type: `intent`'s fields, then
    ///         `maxOracleDeviationBps`.
    /// @param intent The intent.
    /// @param maxOracleDeviationBps The signed bound on each price's distance from the feeds.
    /// @return result The struct hash.
    function hashStructGuarded(Intent memory intent, uint256 maxOracleDeviationBps)
        internal
        pure
        returns (bytes32 result)
    {
        result = _hash(GUARDED_INTENT_TYPEHASH, intent, maxOracleDeviationBps, true);
    }

    function _hash(bytes32 typeHash, Intent memory intent, uint256 extra, bool guarded)
        private
        pure
        returns (bytes32 result)
    {
        assembly ("memory-safe") {
            function words(p) -> h {
                h := keccak256(add(p, 0x20), shl(5, mload(p)))
            }
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), mload(intent)) // owner
            mstore(add(m, 0x40), words(mload(add(intent, 0x20)))) // tokens
            mstore(add(m, 0x60), words(mload(add(intent, 0x40)))) // minPrice
            mstore(add(m, 0x80), words(mload(add(intent, 0x60)))) // maxPrice
            mstore(add(m, 0xa0), mload(add(intent, 0x80))) // kind
            mstore(add(m, 0xc0), words(mload(add(intent, 0xa0)))) // targetWeightBps
            mstore(add(m, 0xe0), mload(add(intent, 0xc0))) // toleranceBps
            mstore(add(m, 0x100), words(mload(add(intent, 0xe0)))) // minBalance
            mstore(add(m, 0x120), words(mload(add(intent, 0x100)))) // maxBalance
            mstore(add(m, 0x140), mload(add(intent, 0x120))) // maxFeeBps
            mstore(add(m, 0x160), mload(add(intent, 0x140))) // validTo
            mstore(add(m, 0x180), mload(add(intent, 0x160))) // nonce
            mstore(add(m, 0x1a0), extra) // maxOracleDeviationBps (guarded only)
            result := keccak256(m, add(0x1a0, mul(0x20, guarded)))
        }
    }

    /// @notice The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct).
    /// @dev Packed in scratch memory past the free memory pointer, never allocated.
    /// @param separator The domain separator.
    /// @param intent The intent.
    /// @return result The digest: the intent id.
    function digest(bytes32 separator, Intent memory intent) internal pure returns (bytes32 result) {
        result = digestOf(separator, hashStruct(intent));
    }

    /// @notice The EIP-712 digest of a struct hash under `separator`.
    /// @param separator The domain separator.
    /// @param structHash hashStruct of the signed struct.
    /// @return result The digest.
    function digestOf(bytes32 separator, bytes32 structHash) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash)
            result := keccak256(m, 0x42)
        }
    }
}
