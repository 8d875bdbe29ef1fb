// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IUniswapV3PoolMint {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
}

/// @title V3LiquiditySeeder
/// @notice Adds concentrated liquidity to Uniswap V3 pools for the world's builder: pays
///         the mint callback from the payer named in `data`, who must have approved it.
contract V3LiquiditySeeder {
    error UnknownPool(address caller);

    address private _expectedPool;

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        _expectedPool = pool;
        (amount0, amount1) =
            IUniswapV3PoolMint(pool).mint(msg.sender, tickLower, tickUpper, liquidity, abi.encode(msg.sender));
        _expectedPool = address(0);
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata data) external {
        if (msg.sender != _expectedPool) revert UnknownPool(msg.sender);
        address payer = abi.decode(data, (address));
        IUniswapV3PoolMint pool = IUniswapV3PoolMint(msg.sender);
        if (amount0Owed > 0) IERC20(pool.token0()).transferFrom(payer, msg.sender, amount0Owed);
        if (amount1Owed > 0) IERC20(pool.token1()).transferFrom(payer, msg.sender, amount1Owed);
    }
}
