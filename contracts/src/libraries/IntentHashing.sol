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
        bytes32 typeHash = INTENT_TYPEHASH;
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
            result := keccak256(m, 0x1a0)
        }
    }

    /// @notice The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct).
    /// @dev Packed in scratch memory past the free memory pointer, never allocated.
    /// @param separator The domain separator.
    /// @param intent The intent.
    /// @return result The digest: the intent id.
    function digest(bytes32 separator, Intent memory intent) internal pure returns (bytes32 result) {
        bytes32 structHash = hashStruct(intent);
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash)
            result := keccak256(m, 0x42)
        }
    }
}
