// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IERC20Minimal
/// @notice The slice of ERC-20 keel's settlement needs. Tokens that return nothing from
///         `transfer`/`transferFrom` (USDT-style) are handled by `SafeTransfers`.
interface IERC20Minimal {
    /// @notice Balance of `account` in base units.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Move `amount` base units from the caller to `to`.
    function transfer(address to, uint256 amount) external returns (bool);

    /// @notice Move `amount` base units from `from` to `to` using the caller's allowance.
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
