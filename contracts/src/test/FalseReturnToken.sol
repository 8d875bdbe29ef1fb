// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FalseReturnToken
/// @notice Test-only ERC-20 whose `transfer` returns false, moving nothing, once armed (some
///         old tokens fail that way instead of reverting). `transferFrom` always works. Used
///         to show the settlement refuses to count a payment the token did not make.
contract FalseReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    bool public failing;

    /// @notice Mint `amount` to `to` (anyone may: it is a test token).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    /// @notice From now on `transfer` returns false (true) or works (false).
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    /// @notice ERC-20 transfer; false, and nothing moved, while `failing`.
    function transfer(address to, uint256 amount) external returns (bool) {
        if (failing) return false;
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}
