// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransfers} from "./libraries/SafeTransfers.sol";

/// @title Relayer
/// @notice Holds the users' ERC-20 approvals and moves sell amounts into the settlement.
/// @dev Users approve this contract, never the settlement: the settlement runs arbitrary
///      solver interactions, and it refuses any interaction that targets this relayer, so an
///      interaction can never spend a user's allowance. Only its creator may pull.
contract Relayer {
    /// @notice One pull: `amount` base units of `token` from `from` to the settlement.
    struct Transfer {
        address token;
        address from;
        uint256 amount;
    }

    /// @notice The settlement that created this relayer; the only caller allowed to pull.
    address public immutable settlement;

    /// @notice Anyone but the settlement tried to pull funds.
    error NotSettlement(address caller);

    /// @notice Binds the relayer to its creator.
    constructor() {
        settlement = msg.sender;
    }

    /// @notice Pull every transfer from its owner into the settlement; reverts as a whole.
    /// @param transfers The pulls, in order. Tokens that revert bubble their reason up.
    function transferIn(Transfer[] calldata transfers) external {
        if (msg.sender != settlement) revert NotSettlement(msg.sender);
        for (uint256 i; i < transfers.length; ++i) {
            Transfer calldata t = transfers[i];
            SafeTransfers.safeTransferFrom(t.token, t.from, msg.sender, t.amount);
        }
    }
}
