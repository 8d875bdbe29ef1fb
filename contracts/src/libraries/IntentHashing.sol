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
    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("keel"), keccak256("1"), block.chainid, verifyingContract)
        );
    }

    /// @notice hashStruct(intent): keccak256(typeHash ‖ encodeData(intent)).
    /// @dev Works on the ABI-encoded calldata directly (cheaper than abi.encode): the
    ///      12-word head is copied after the type hash, and each dynamic field's offset word
    ///      is replaced by keccak256 of the array's 32-byte elements, which is exactly
    ///      EIP-712's encoding of an array of atomic values. Values with dirty high bits
    ///      hash differently from what anyone signed, so they can only fail verification
    ///      (and Solidity's own accessors revert on them elsewhere).
    function hashStruct(Intent calldata intent) internal pure returns (bytes32 result) {
        bytes32 typeHash = INTENT_TYPEHASH;
        assembly ("memory-safe") {
            // scratch space past the free memory pointer; never allocated, never kept
            let head := mload(0x40)
            let arrays := add(head, 0x1a0)
            mstore(head, typeHash)
            calldatacopy(add(head, 0x20), intent, 0x180)
            // dynamic fields: tokens(1) minPrice(2) maxPrice(3) targetWeightBps(5) minBalance(7) maxBalance(8)
            for { let fields := 0x0807050302010000000000000000000000000000000000000000000000000000 } fields {} {
                let k := byte(0, fields)
                fields := shl(8, fields)
                let word := add(head, mul(add(k, 1), 0x20))
                let array := add(intent, calldataload(add(intent, mul(k, 0x20))))
                let size := mul(calldataload(array), 0x20)
                calldatacopy(arrays, add(array, 0x20), size)
                mstore(word, keccak256(arrays, size))
            }
            result := keccak256(head, 0x1a0)
        }
    }

    /// @notice The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct).
    /// @dev Packed in scratch memory past the free memory pointer, never allocated: once per
    ///      execution, `abi.encodePacked` would grow memory for nothing.
    function digest(bytes32 separator, Intent calldata intent) internal pure returns (bytes32 result) {
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
