// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title RelayerCall
/// @notice The one `Relayer.transferAll(Transfer[])` call of a batch, its calldata built by
///         `Netting.plan`; no call at all when there is nothing to move.
/// @dev A relayer revert is re-thrown unchanged, so a token's own reason reaches the solver.
library RelayerCall {
    /// @notice Send `data` (`count` transfers) to `relayer`.
    /// @param relayer The settlement's relayer.
    /// @param data The complete calldata of `transferAll`.
    /// @param count How many transfers it carries.
    function send(address relayer, bytes memory data, uint256 count) internal {
        if (count == 0) return;
        assembly ("memory-safe") {
            if iszero(call(gas(), relayer, 0, add(data, 0x20), mload(data), 0, 0)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }
}
