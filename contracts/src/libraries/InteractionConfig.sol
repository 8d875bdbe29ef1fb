// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title InteractionConfig
/// @notice The settlement's configuration — the contracts interactions may call (each a router
///         or a proven pool), the solvers the allow-list names, and the tokens with standing
///         allowances (guarded) — kept as the runtime code of a small data contract, so a batch
///         reads all of it with one EXTCODECOPY (about 2.7k gas) instead of an external call to
///         the allow-list and a cold SLOAD per target and per token (2.1k each).
/// @dev Format: uint8 target count T ‖ uint8 solver count S ‖ uint16 pool mask (bit i: target i
///      is a pool, BatchSettlement.setPoolTarget) ‖ T targets ‖ S solvers ‖ guarded tokens (the
///      rest), every address 20 bytes. The data contract's code is 0x00 (STOP) ‖ data, so calling
///      it does nothing. A new configuration is a new data contract; the settlement keeps the
///      newest's address.
library InteractionConfig {
    /// @notice Creating the data contract failed.
    error ConfigNotStored();

    /// @notice A configuration, decoded.
    struct Parts {
        address[] targets;
        uint256 poolMask;
        address[] solvers;
        address[] guarded;
    }

    uint256 internal constant NOT_A_TARGET = 0;
    uint256 internal constant ROUTER = 1;
    uint256 internal constant POOL = 2;
    uint256 private constant HEAD = 4;

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
    /// @param parts Targets (at most 16), their pool mask, solvers (at most 255), guarded tokens.
    /// @return data The configuration bytes.
    function encode(Parts memory parts) internal pure returns (bytes memory data) {
        data = abi.encodePacked(uint8(parts.targets.length), uint8(parts.solvers.length), uint16(parts.poolMask));
        data = bytes.concat(data, _pack(parts.targets), _pack(parts.solvers), _pack(parts.guarded));
    }

    /// @notice Decode a configuration (all empty for empty bytes).
    /// @param data Configuration bytes.
    /// @return parts Its lists and pool mask.
    function decode(bytes memory data) internal pure returns (Parts memory parts) {
        if (data.length == 0) return parts;
        (uint256 t, uint256 s) = (uint8(data[0]), uint8(data[1]));
        parts.poolMask = uint16(bytes2(_word(data, 2)));
        parts.targets = _slice(data, HEAD, t);
        parts.solvers = _slice(data, HEAD + 20 * t, s);
        parts.guarded = _slice(data, HEAD + 20 * (t + s), (data.length - HEAD - 20 * (t + s)) / 20);
    }

    /// @notice The guarded tokens of a configuration.
    /// @param data Configuration bytes.
    /// @return list The tokens, in order.
    function guarded(bytes memory data) internal pure returns (address[] memory list) {
        if (data.length == 0) return list;
        uint256 skip = HEAD + 20 * (uint256(uint8(data[0])) + uint8(data[1]));
        list = _slice(data, skip, (data.length - skip) / 20);
    }

    /// @notice What `target` is to the configuration: NOT_A_TARGET, ROUTER or POOL.
    /// @param data Configuration bytes.
    /// @param target The address to look up.
    /// @return kind Its kind.
    function kindOf(bytes memory data, address target) internal pure returns (uint256 kind) {
        if (data.length == 0) return NOT_A_TARGET;
        assembly ("memory-safe") {
            let head := mload(add(data, 0x20))
            let count := byte(0, head)
            let mask := shr(240, shl(16, head))
            let at := add(data, add(0x20, HEAD))
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                if eq(shr(96, mload(at)), target) {
                    kind := add(1, and(shr(i, mask), 1))
                    break
                }
                at := add(at, 20)
            }
        }
    }

    /// @notice Whether interactions may call `target` (a router or a pool).
    /// @param data Configuration bytes.
    /// @param target The address to look up.
    /// @return Whether the owner listed it.
    function isTarget(bytes memory data, address target) internal pure returns (bool) {
        return kindOf(data, target) != NOT_A_TARGET;
    }

    /// @notice Whether `solver` is one of the configuration's solvers.
    /// @param data Configuration bytes.
    /// @param solver The address to look up.
    /// @return found True when listed.
    function isSolver(bytes memory data, address solver) internal pure returns (bool found) {
        if (data.length == 0) return false;
        assembly ("memory-safe") {
            let head := mload(add(data, 0x20))
            let at := add(data, add(0x20, add(HEAD, mul(20, byte(0, head)))))
            for { let end := add(at, mul(20, byte(1, head))) } lt(at, end) { at := add(at, 20) } {
                if eq(shr(96, mload(at)), solver) {
                    found := 1
                    break
                }
            }
        }
    }

    function _pack(address[] memory list) private pure returns (bytes memory out) {
        out = new bytes(20 * list.length);
        for (uint256 i; i < list.length; ++i) {
            bytes20 a = bytes20(list[i]);
            assembly ("memory-safe") {
                mstore(add(add(out, 0x20), mul(20, i)), a)
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
