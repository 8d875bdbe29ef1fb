// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransfers} from "./libraries/SafeTransfers.sol";

/// @title Relayer
/// @notice Holds the users' ERC-20 approvals and moves what they sell: straight to the batch
///         owner who buys it, or to the settlement or the fee recipient.
/// @dev Users approve this contract, never the settlement: the settlement runs arbitrary
///      solver interactions, and it refuses any interaction that targets this relayer, so an
///      interaction can never spend a user's allowance. Only its creator may call it; the
///      settlement names as `to` only a batch owner, itself or its fee recipient, with amounts
///      from the batch's verified flows (SECURITY.md, "Where users' tokens go").
contract Relayer {
    /// @notice One movement: `amount` base units of `token` from `from` to `to`.
    struct Transfer {
        address token;
        address from;
        address to;
        uint256 amount;
    }

    /// @notice The settlement that created this relayer; the only caller allowed.
    address public immutable settlement;

    /// @notice Anyone but the settlement tried to move funds.
    error NotSettlement(address caller);

    /// @notice Binds the relayer to its creator.
    constructor() {
        settlement = msg.sender;
    }

    /// @notice Make every transfer, in order; reverts as a whole.
    /// @dev One assembly loop over the calldata words (the ABI checks a Solidity loop adds cost
    ///      ~0.8k gas per transfer): each address word must be clean, as the ABI decoder
    ///      requires, and acceptance is `SafeTransfers.safeTransferFrom`'s — the call succeeds
    ///      and returns nothing (from an address with code) or one word equal to 1; a revert
    ///      with data is re-thrown unchanged; anything else is
    ///      `SafeTransfers.TransferFailed(token, from, to, amount)`.
    /// @param transfers The movements. Tokens that revert bubble their reason up.
    function transferAll(Transfer[] calldata transfers) external {
        if (msg.sender != settlement) revert NotSettlement(msg.sender);
        bytes4 failed = SafeTransfers.TransferFailed.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            let end := add(transfers.offset, shl(7, transfers.length))
            for { let at := transfers.offset } lt(at, end) { at := add(at, 0x80) } {
                let token := calldataload(at)
                let from := calldataload(add(at, 0x20))
                let to := calldataload(add(at, 0x40))
                let amount := calldataload(add(at, 0x60))
                if shr(160, or(token, or(from, to))) { revert(0, 0) }
                mstore(m, shl(224, 0x23b872dd)) // transferFrom(address,address,uint256)
                mstore(add(m, 0x04), from)
                mstore(add(m, 0x24), to)
                mstore(add(m, 0x44), amount)
                mstore(0x00, 0)
                let ok := call(gas(), token, 0, m, 0x64, 0x00, 0x20)
                let size := returndatasize()
                if and(iszero(ok), gt(size, 0)) {
                    returndatacopy(m, 0, size)
                    revert(m, size)
                }
                let good := and(ok, or(and(iszero(size), gt(extcodesize(token), 0)),
                                       and(eq(size, 0x20), eq(mload(0x00), 1))))
                if iszero(good) {
                    mstore(m, failed)
                    mstore(add(m, 0x04), token)
                    mstore(add(m, 0x24), from)
                    mstore(add(m, 0x44), to)
                    mstore(add(m, 0x64), amount)
                    revert(m, 0x84)
                }
            }
        }
    }
}
