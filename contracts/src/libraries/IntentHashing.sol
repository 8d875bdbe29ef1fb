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
    /// @dev abi.encodePacked of a dynamic array pads every element to 32 bytes, which is
    ///      exactly EIP-712's encoding of an array of atomic values.
    function hashStruct(Intent calldata intent) internal pure returns (bytes32) {
        bytes memory head = abi.encode(
            INTENT_TYPEHASH,
            intent.owner,
            keccak256(abi.encodePacked(intent.tokens)),
            keccak256(abi.encodePacked(intent.minPrice)),
            keccak256(abi.encodePacked(intent.maxPrice)),
            intent.kind
        );
        bytes memory tail = abi.encode(
            keccak256(abi.encodePacked(intent.targetWeightBps)),
            intent.toleranceBps,
            keccak256(abi.encodePacked(intent.minBalance)),
            keccak256(abi.encodePacked(intent.maxBalance)),
            intent.maxFeeBps,
            intent.validTo,
            intent.nonce
        );
        return keccak256(bytes.concat(head, tail));
    }

    /// @notice The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct).
    function digest(bytes32 separator, Intent calldata intent) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", separator, hashStruct(intent)));
    }
}
