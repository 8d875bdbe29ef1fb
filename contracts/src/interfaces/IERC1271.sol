// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IERC1271
/// @notice Signature validation for smart-contract wallets (EIP-1271).
interface IERC1271 {
    /// @notice Returns 0x1626ba7e when `signature` is valid for `digest` on behalf of this wallet.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4 magicValue);
}
