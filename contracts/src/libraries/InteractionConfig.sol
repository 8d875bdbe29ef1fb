// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title InteractionConfig
/// @notice The owner's interaction configuration — which contracts interactions may call, and
///         which tokens have standing allowances (guarded) — kept as the runtime code of a
///         small data contract, so a batch reads all of it with one EXTCODECOPY (about 2.7k
///         gas) instead of a cold SLOAD per target and per token (2.1k each).
/// @dev Format: uint8 target count ‖ targets (20 bytes each) ‖ guarded tokens (20 bytes each,
///      the rest). The data contract's code is 0x00 (STOP) ‖ data, so calling it does nothing.
///      A new configuration is a new data contract; the settlement keeps the newest's address.
library InteractionConfig {
    /// @notice Creating the data contract failed.
    error ConfigNotStored();

    /// @notice The configuration stored at `pointer` (empty for address(0)).
    /// @param pointer A data contract written by `store`, or address(0).
    /// @return data The configuration bytes.
    function load(address pointer) internal view returns (bytes memory data) {
        if (pointer == address(0)) return data;
        assembly ("memory-safe") {
            let size := sub(extcodesize(pointer), 1)
            data := mload(0x40)
            mstore(data, size)
            extcodecopy(pointer, add(data, 0x20), 1, size)
            mstore(0x40, add(add(data, 0x20), and(add(size, 31), not(31))))
        }
    }

    /// @notice Write `data` as a new data contract.
    /// @param data The configuration bytes (at most 65,534).
    /// @return pointer The data contract's address.
    function store(bytes memory data) internal returns (address pointer) {
        // init code: PUSH2 size, DUP1, PUSH1 10, PUSH0, CODECOPY, PUSH0, RETURN; then 0x00 ‖ data
        bytes memory init = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a5f395ff300", data);
        assembly ("memory-safe") {
            pointer := create(0, add(init, 0x20), mload(init))
        }
        if (pointer == address(0)) revert ConfigNotStored();
    }

    /// @notice Encode a configuration.
    /// @param targets The allowed interaction targets (at most 255).
    /// @param guarded The guarded tokens.
    /// @return data The configuration bytes.
    function encode(address[] memory targets, address[] memory guarded) internal pure returns (bytes memory data) {
        data = abi.encodePacked(uint8(targets.length));
        for (uint256 i; i < targets.length; ++i) {
            data = bytes.concat(data, bytes20(targets[i]));
        }
        for (uint256 i; i < guarded.length; ++i) {
            data = bytes.concat(data, bytes20(guarded[i]));
        }
    }

    /// @notice The allowed targets of a configuration.
    /// @param data Configuration bytes.
    /// @return list The targets, in order.
    function targets(bytes memory data) internal pure returns (address[] memory list) {
        if (data.length == 0) return list;
        list = _slice(data, 1, uint8(data[0]));
    }

    /// @notice The guarded tokens of a configuration.
    /// @param data Configuration bytes.
    /// @return list The tokens, in order.
    function guarded(bytes memory data) internal pure returns (address[] memory list) {
        if (data.length == 0) return list;
        uint256 count = uint8(data[0]);
        list = _slice(data, 1 + 20 * count, (data.length - 1 - 20 * count) / 20);
    }

    /// @notice Whether `target` is an allowed target of the configuration.
    /// @param data Configuration bytes.
    /// @param target The address to look up.
    /// @return found True when listed.
    function isTarget(bytes memory data, address target) internal pure returns (bool found) {
        if (data.length == 0) return false;
        assembly ("memory-safe") {
            let count := byte(0, mload(add(data, 0x20)))
            let at := add(data, 0x21)
            for { let end := add(at, mul(count, 20)) } lt(at, end) { at := add(at, 20) } {
                if eq(shr(96, mload(at)), target) {
                    found := 1
                    break
                }
            }
        }
    }

    /// @dev `count` 20-byte addresses of `data` from byte `start`, into a fresh array.
    function _slice(bytes memory data, uint256 start, uint256 count) private pure returns (address[] memory list) {
        list = new address[](count);
        for (uint256 i; i < count; ++i) {
            list[i] = address(bytes20(_word(data, start + 20 * i)));
        }
    }

    function _word(bytes memory data, uint256 offset) private pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 0x20), offset))
        }
    }
}
