// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SettleTwice
/// @notice Test-only solver contract that sends two calls to `target` (the settlement) in one
///         transaction, re-throwing the first reason. Used to show that what a settlement keeps
///         in transient storage for one batch does not carry over into the next batch of the
///         same transaction.
contract SettleTwice {
    /// @notice Call `target` with `first`, then with `second`; revert with a failing call's reason.
    function settleTwice(address target, bytes calldata first, bytes calldata second) external {
        _call(target, first);
        _call(target, second);
    }

    function _call(address target, bytes calldata data) private {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
