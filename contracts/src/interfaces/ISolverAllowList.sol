// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISolverAllowList
/// @notice Who may call `BatchSettlement.settle`.
interface ISolverAllowList {
    /// @notice True when `solver` is currently allowed to settle batches.
    function isSolver(address solver) external view returns (bool);
}

/// @title ISolverMirror
/// @notice A settlement that keeps its own copy of the allow-list's solvers (so `settle` reads
///         them with its configuration instead of calling the allow-list).
interface ISolverMirror {
    /// @notice Replace the solvers the settlement accepts with `solvers`. Only its allow-list.
    /// @param solvers The allow-list's whole list.
    function setSolvers(address[] calldata solvers) external;
}
