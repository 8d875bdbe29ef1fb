// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISolverAllowList
/// @notice Who may call `BatchSettlement.settle`.
interface ISolverAllowList {
    /// @notice True when `solver` is currently allowed to settle batches.
    function isSolver(address solver) external view returns (bool);
}
