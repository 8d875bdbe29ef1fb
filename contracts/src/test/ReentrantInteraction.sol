// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ReentrantInteraction
/// @notice Test-only interaction target that calls back into `target` (the settlement) with
///         `data`, re-throwing the reason. Used to show `settle` cannot be re-entered.
contract ReentrantInteraction {
    /// @notice Call `target` with `data`; revert with its reason if it reverts.
    function attack(address target, bytes calldata data) external {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
