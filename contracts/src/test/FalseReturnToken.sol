// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FalseReturnToken
/// @notice Test-only ERC-20 whose `transfer` and `transferFrom` return false, moving nothing,
///         once armed (some old tokens fail that way instead of reverting). Used to show the
///         settlement refuses to count a payment the token did not make, whether the relayer
///         moves it user to user or the settlement pays it.
contract FalseReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    bool public failing;

    /// @notice Mint `amount` to `to` (anyone may: it is a test token).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    /// @notice From now on `transfer` and `transferFrom` return false (true) or work (false).
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

    /// @notice ERC-20 transferFrom; false, and nothing moved, while `failing`.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failing) return false;
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}
