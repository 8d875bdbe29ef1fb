// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PriceFeed
/// @notice A Chainlink-style aggregator (AggregatorV3Interface) whose answer the world's
///         owner sets. `updatedAt` is the block time of the last update, so a feed left
///         alone goes stale exactly as a real one would.
contract PriceFeed {
    error NotOwner(address caller);
    error NonPositiveAnswer(int256 answer);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    address public owner;
    uint8 public decimals;
    string public description;
    uint256 public version = 4;

    uint80 private _roundId;
    int256 private _answer;
    uint256 private _updatedAt;

    constructor(address owner_, uint8 decimals_, string memory description_, int256 answer_) {
        owner = owner_;
        decimals = decimals_;
        description = description_;
        _set(answer_, block.timestamp);
    }

    /// @notice Publish a new answer, stamped with the current block time.
    function setAnswer(int256 answer) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _set(answer, block.timestamp);
    }

    /// @notice Publish an answer with an explicit timestamp (to replay history or make it stale).
    function setAnswerAt(int256 answer, uint256 updatedAt) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _set(answer, updatedAt);
    }

    function latestAnswer() external view returns (int256) {
        return _answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return _updatedAt;
    }

    function latestRound() external view returns (uint256) {
        return _roundId;
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }

    function _set(int256 answer, uint256 updatedAt) private {
        if (answer <= 0) revert NonPositiveAnswer(answer);
        _roundId += 1;
        _answer = answer;
        _updatedAt = updatedAt;
        emit AnswerUpdated(answer, _roundId, updatedAt);
    }
}
