// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SafeTransfers
/// @notice ERC-20 transfers that accept tokens returning nothing (USDT-style) and refuse
///         tokens returning `false`. A reverting token's reason is re-thrown unchanged, so a
///         reentrancy refusal raised deep inside a token reaches the solver as itself.
/// @dev Hand-encoded in the scratch memory past the free memory pointer (never allocated):
///      these run once per flow, and the `abi.encode` + `bytes memory` return copy cost
///      several hundred gas each time. Acceptance is exactly as before: the call succeeds
///      and returns either nothing (from an address with code) or one word equal to 1.
library SafeTransfers {
    /// @notice The token returned false, returned garbage, or has no code.
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
