// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SafeTransfers
/// @notice ERC-20 transfers and balance reads. Transfers accept tokens returning nothing (USDT-style) and refuse
///         tokens returning `false`. A reverting token's reason is re-thrown unchanged, so a
///         reentrancy refusal raised deep inside a token reaches the solver as itself.
/// @dev Hand-encoded in the scratch memory past the free memory pointer (never allocated):
///      these run once per flow, and the `abi.encode` + `bytes memory` return copy cost
///      several hundred gas each time. Acceptance is exactly as before: the call succeeds
///      and returns either nothing (from an address with code) or one word equal to 1.
library SafeTransfers {
    /// @notice The token returned false, returned garbage, or has no code (for an approval,
    ///         `from` is this contract and `to` the spender).
    /// @param token The token.
    /// @param from Whose tokens.
    /// @param to The recipient (or spender).
    /// @param amount The amount.
    error TransferFailed(address token, address from, address to, uint256 amount);

    /// @notice Transfer `amount` of `token` from this contract to `to`.
    function safeTransfer(address token, address to, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0xa9059cbb))
            mstore(add(m, 0x04), to)
            mstore(add(m, 0x24), amount)
            ok := call(gas(), token, 0, m, 0x44, 0, 0x20)
        }
        ok = _accepted(ok, token);
        if (!ok) revert TransferFailed(token, address(this), to, amount);
    }

    /// @notice Transfer `amount` of `token` from `from` to `to` using this contract's allowance.
    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x23b872dd))
            mstore(add(m, 0x04), from)
            mstore(add(m, 0x24), to)
            mstore(add(m, 0x44), amount)
            ok := call(gas(), token, 0, m, 0x64, 0, 0x20)
        }
        ok = _accepted(ok, token);
        if (!ok) revert TransferFailed(token, from, to, amount);
    }

    /// @notice Set this contract's allowance of `token` for `spender` to `amount`.
    /// @param token The ERC-20.
    /// @param spender Who may spend.
    /// @param amount The new allowance (0 revokes).
    function safeApprove(address token, address spender, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x095ea7b3))
            mstore(add(m, 0x04), spender)
            mstore(add(m, 0x24), amount)
            ok := call(gas(), token, 0, m, 0x44, 0, 0x20)
        }
        ok = _accepted(ok, token);
        if (!ok) revert TransferFailed(token, address(this), spender, amount);
    }

    /// @notice `token.balanceOf(account)` as a high-level call would do it (a revert re-thrown, a
    ///         short answer refused), encoded in scratch space instead of allocated memory.
    /// @param token The ERC-20 to ask.
    /// @param account Whose balance.
    /// @return amount The balance in base units of `token`.
    function balanceOf(address token, address account) internal view returns (uint256 amount) {
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x70a08231))
            mstore(0x04, account)
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            amount := mload(0x00)
        }
    }

    /// @notice `account`'s balance of each of `tokens`, into a fresh memory array.
    /// @dev `balanceOf` in one loop.
    /// @param tokens The tokens.
    /// @param account Whose balances.
    /// @return amounts One balance per token, in order.
    function balancesOf(address[] memory tokens, address account) internal view returns (uint256[] memory amounts) {
        uint256 n = tokens.length;
        amounts = new uint256[](n);
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let w := shl(5, add(j, 1))
                mstore(0x00, shl(224, 0x70a08231))
                mstore(0x04, account)
                if iszero(staticcall(gas(), mload(add(tokens, w)), 0x00, 0x24, 0x00, 0x20)) {
                    let m := mload(0x40)
                    returndatacopy(m, 0, returndatasize())
                    revert(m, returndatasize())
                }
                if lt(returndatasize(), 0x20) { revert(0, 0) }
                mstore(add(amounts, w), mload(0x00))
            }
        }
    }

    /// @dev Re-throws a revert that carries a reason; otherwise true when the token returned
    ///      nothing and has code, or returned exactly one word equal to 1 (in scratch word 0).
    function _accepted(bool called, address token) private view returns (bool good) {
        assembly ("memory-safe") {
            let size := returndatasize()
            switch called
            case 0 {
                if size {
                    let m := mload(0x40)
                    returndatacopy(m, 0, size)
                    revert(m, size)
                }
            }
            default {
                switch size
                case 0 { good := gt(extcodesize(token), 0) }
                case 0x20 { good := eq(mload(0), 1) }
            }
        }
    }
}
