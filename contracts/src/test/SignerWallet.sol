// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SignerWallet
/// @notice Test-only EIP-1271 wallet: a signature is valid when `signer` signed the digest.
///         The signer can make the wallet call anything (to approve the relayer).
contract SignerWallet {
    address public immutable signer;

    error NotSigner(address caller);

    /// @param signer_ The EOA whose signatures this wallet accepts.
    constructor(address signer_) {
        signer = signer_;
    }

    /// @notice EIP-1271: 0x1626ba7e when `signature` (r‖s‖v) recovers to `signer`.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        return ecrecover(digest, v, r, s) == signer ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    /// @notice Make the wallet call `target` with `data` (signer only).
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != signer) revert NotSigner(msg.sender);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
