// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISolverAllowList} from "./interfaces/ISolverAllowList.sol";

/// @title SolverAllowList
/// @notice The owner adds and removes the solvers allowed to settle batches. It holds no
///         funds and can move none.
contract SolverAllowList is ISolverAllowList {
    /// @notice The account that manages the list.
    address public owner;

    mapping(address => bool) private _solvers;

    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice The zero address cannot own the list.
    error ZeroOwner();

    /// @notice `solver` was added to the list.
    event SolverAdded(address indexed solver);
    /// @notice `solver` was removed from the list.
    event SolverRemoved(address indexed solver);
    /// @notice Ownership moved from `previous` to `next`.
    event OwnershipTransferred(address indexed previous, address indexed next);

    /// @param initialOwner The account allowed to edit the list.
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert ZeroOwner();
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Allow `solver` to settle. Idempotent.
    function addSolver(address solver) external onlyOwner {
        _solvers[solver] = true;
        emit SolverAdded(solver);
    }

    /// @notice Stop `solver` from settling. Idempotent.
    function removeSolver(address solver) external onlyOwner {
        _solvers[solver] = false;
        emit SolverRemoved(solver);
    }

    /// @notice Hand the list to `next`.
    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroOwner();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    /// @inheritdoc ISolverAllowList
    function isSolver(address solver) external view returns (bool) {
        return _solvers[solver];
    }
}
