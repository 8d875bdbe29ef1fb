// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title AllowanceSelectors
/// @notice The function selectors that grant a spender rights over the caller's tokens. The
///         settlement refuses an interaction that calls one of them, on any target.
/// @dev A second fence behind the interaction-target allow-list (SECURITY.md): the allow-list
///      is what keeps tokens out of reach, this list only catches an owner who allow-lists a
///      token by mistake. It cannot be complete (any contract can invent an approval), which
///      is why it is not the first fence.
library AllowanceSelectors {
    /// @notice True when `selector` is a known allowance-granting function.
    /// @param selector The first four bytes of an interaction's calldata.
    /// @return grants Whether it is approve, increaseAllowance, increaseApproval, EIP-2612 or
    ///         DAI permit, setApprovalForAll, Permit2's approve, or ERC-777 authorizeOperator.
    function grants(bytes4 selector) internal pure returns (bool) {
        return selector == 0x095ea7b3 // approve(address,uint256)
            || selector == 0x39509351 // increaseAllowance(address,uint256)
            || selector == 0xd73dd623 // increaseApproval(address,uint256)
            || selector == 0xd505accf // permit(address,address,uint256,uint256,uint8,bytes32,bytes32)
            || selector == 0x8fcbaf0c // permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)
            || selector == 0xa22cb465 // setApprovalForAll(address,bool)
            || selector == 0x87517c45 // approve(address,address,uint160,uint48) (Permit2)
            || selector == 0x959b8c3f; // authorizeOperator(address) (ERC-777)
    }
}
