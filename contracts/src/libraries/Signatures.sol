// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "../interfaces/IERC1271.sol";

/// @title Signatures
/// @notice Who signed a digest: an EOA's 65-byte `r ‖ s ‖ v` signature through the ecrecover
///         precompile, or a contract wallet's EIP-1271 `isValidSignature`.
library Signatures {
    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e;
    /// @dev secp256k1n / 2: a larger `s` is the malleable twin of a valid signature (EIP-2).
    uint256 internal constant MAX_S = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The address whose key made the 65-byte signature `r ‖ s ‖ v` of `digest`, or
    ///         address(0) when the precompile recovers none or `s` is in the upper half.
    /// @dev Called by hand: the precompile answers nothing (not a revert) for a bad signature.
    ///      Low-s only (EIP-2): every signature has exactly one accepted form.
    /// @param digest The signed 32-byte hash.
    /// @param signature Exactly 65 bytes; the caller checks the length.
    /// @return signer The recovered address, or address(0).
    function recover(bytes32 digest, bytes calldata signature) internal view returns (address signer) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, digest)
            mstore(add(m, 0x20), byte(0, calldataload(add(signature.offset, 0x40))))
            calldatacopy(add(m, 0x40), signature.offset, 0x40)
            mstore(0x00, 0)
            if iszero(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20)) { revert(0, 0) }
            signer := mul(mload(0x00), iszero(gt(mload(add(m, 0x60)), MAX_S)))
        }
    }

    /// @notice True when the contract wallet `wallet` accepts `signature` for `digest`.
    /// @param wallet The EIP-1271 account (an address without code never accepts).
    /// @param digest The signed 32-byte hash.
    /// @param signature Whatever the wallet expects.
    /// @return accepted Whether the wallet returned the EIP-1271 magic value.
    function isValidERC1271(address wallet, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool accepted)
    {
        if (wallet.code.length == 0) return false;
        (bool ok, bytes memory ret) = wallet.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
        return ok && ret.length >= 32 && bytes4(abi.decode(ret, (bytes32))) == EIP1271_MAGIC;
    }
}
