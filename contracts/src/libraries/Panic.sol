// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Panic
/// @notice Solidity's own `Panic(uint256)` reverts, raised by hand from unchecked code so that
///         hand-written loops fail exactly as the checked arithmetic they replace would.
library Panic {
    /// @notice Panic(0x11): arithmetic overflow or underflow.
    function overflow() internal pure {
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x4e487b71))
            mstore(0x04, 0x11)
            revert(0x00, 0x24)
        }
    }

    /// @notice Panic(0x32): an array index out of bounds.
    function outOfBounds() internal pure {
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x4e487b71))
            mstore(0x04, 0x32)
            revert(0x00, 0x24)
        }
    }
}
