// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISolverAllowList, ISolverMirror} from "./interfaces/ISolverAllowList.sol";

/// @title SolverAllowList
/// @notice The owner adds and removes the solvers allowed to settle batches. It holds no
///         funds and can move none. Once bound to a settlement (`bind`, owner only, once), every
///         edit also sends the whole list to it (`ISolverMirror.setSolvers`) in the same call,
///         so the settlement checks a caller against its own copy — read with its configuration,
///         no call to this contract — and a removed solver is refused from the next block on.
contract SolverAllowList is ISolverAllowList {
    /// @notice The account that manages the list.
    address public owner;
    /// @notice The settlement that mirrors this list (address(0) until `bind`).
    ISolverMirror public settlement;

    address[] private _list;
    /// @dev 1 + a solver's index in `_list`; 0 when not listed.
    mapping(address => uint256) private _position;

    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice The zero address cannot own the list.
    error ZeroOwner();
    /// @notice The list is bound to a settlement already.
    error AlreadyBound(address settlement);

    /// @notice `solver` was added to the list.
    event SolverAdded(address indexed solver);
    /// @notice `solver` was removed from the list.
    event SolverRemoved(address indexed solver);
    /// @notice Ownership moved from `previous` to `next`.
    event OwnershipTransferred(address indexed previous, address indexed next);
    /// @notice The list now mirrors into `settlement`.
    event Bound(address indexed settlement);

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
        if (_position[solver] == 0) {
            _list.push(solver);
            _position[solver] = _list.length;
        }
        emit SolverAdded(solver);
        _mirror();
    }

    /// @notice Stop `solver` from settling. Idempotent.
    function removeSolver(address solver) external onlyOwner {
        uint256 position = _position[solver];
        if (position != 0) {
            address last = _list[_list.length - 1];
            _list[position - 1] = last;
            _position[last] = position;
            _list.pop();
            delete _position[solver];
        }
        emit SolverRemoved(solver);
        _mirror();
    }

    /// @notice Mirror the list into `settlement_` from now on (and now). Owner only, once.
    /// @param settlement_ A settlement whose allow-list is this contract.
    function bind(ISolverMirror settlement_) external onlyOwner {
        if (address(settlement) != address(0)) revert AlreadyBound(address(settlement));
        settlement = settlement_;
        emit Bound(address(settlement_));
        _mirror();
    }

    /// @notice Hand the list to `next`.
    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroOwner();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    /// @inheritdoc ISolverAllowList
    function isSolver(address solver) external view returns (bool) {
        return _position[solver] != 0;
    }

    /// @notice Every listed solver (in no particular order).
    /// @return The solvers.
    function solvers() external view returns (address[] memory) {
        return _list;
    }

    function _mirror() private {
        if (address(settlement) != address(0)) settlement.setSolvers(_list);
    }
}
