// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SafeTransfers
/// @notice ERC-20 transfers that accept tokens returning nothing (USDT-style) and refuse
///         tokens returning `false`. A reverting token's reason is re-thrown unchanged, so a
///         reentrancy refusal raised deep inside a token reaches the solver as itself.
library SafeTransfers {
    /// @notice The token returned false, returned garbage, or has no code.
    error TransferFailed(address token, address from, address to, uint256 amount);

    /// @notice Transfer `amount` of `token` from this contract to `to`.
    function safeTransfer(address token, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0xa9059cbb, to, amount), address(this), to, amount);
    }

    /// @notice Transfer `amount` of `token` from `from` to `to` using this contract's allowance.
    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0x23b872dd, from, to, amount), from, to, amount);
    }

    function _call(address token, bytes memory data, address from, address to, uint256 amount) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok) {
            if (ret.length > 0) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
            revert TransferFailed(token, from, to, amount);
        }
        // Empty return data is accepted only from a contract (a call to an EOA also "succeeds").
        bool good = ret.length == 0 ? token.code.length > 0 : (ret.length == 32 && abi.decode(ret, (uint256)) == 1);
        if (!good) revert TransferFailed(token, from, to, amount);
    }
}
