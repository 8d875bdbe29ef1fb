// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title MaliciousToken
/// @notice Test-only ERC-20 that calls a configured target (e.g. `settle`) from inside
///         `transfer`/`transferFrom`, re-throwing whatever that call reverts with. Used to
///         show the settlement refuses reentrancy from a token it moves.
contract MaliciousToken {
    string public constant name = "Malicious";
    string public constant symbol = "EVIL";
    uint8 public constant decimals = 18;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    address public hookTarget;
    bytes public hookData;

    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    /// @notice Mint `amount` to `to` (anyone may: it is a test token).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Arm the hook: every later transfer first calls `target` with `data`.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice ERC-20 transfer, after the hook.
    function transfer(address to, uint256 amount) external returns (bool) {
        _hook();
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom, after the hook.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _hook();
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _hook() private {
        if (hookTarget == address(0)) return;
        (bool ok, bytes memory ret) = hookTarget.call(hookData);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
