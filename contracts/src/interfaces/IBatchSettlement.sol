// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What a user signs: a risk outcome, not a swap (docs/interfaces.md, "The intent").
/// @dev Prices are numeraire base units per token base unit, scaled by 1e18; `tokens[0]`
///      is the numeraire. `kind` 0 = WEIGHTS (targetWeightBps, toleranceBps), 1 = BALANCES
///      (minBalance, maxBalance).
struct Intent {
    address owner;
    address[] tokens;
    uint256[] minPrice;
    uint256[] maxPrice;
    uint8 kind;
    uint256[] targetWeightBps;
    uint256 toleranceBps;
    uint256[] minBalance;
    uint256[] maxBalance;
    uint256 maxFeeBps;
    uint256 validTo;
    uint256 nonce;
}

/// @notice One signed intent as a solver executes it in a batch.
/// @dev `priceIndex[j]` is the index of `intent.tokens[j]` in `settle`'s `tokens`;
///      `flows[j]` is in base units of `intent.tokens[j]`: < 0 pulled from the owner,
///      > 0 paid to the owner.
struct Execution {
    Intent intent;
    uint8 signingScheme;
    bytes signature;
    uint256[] priceIndex;
    int256[] flows;
}

/// @notice A call the settlement makes during a batch (a DEX router or pool swap).
struct Interaction {
    address target;
    uint256 value;
    bytes callData;
}

/// @title IBatchSettlement
/// @notice keel's batch-auction settlement: uniform clearing prices, outcome-checked intents.
interface IBatchSettlement {
    // ---- errors: each names the execution (or interaction) at fault -------------------
    error NotSolver(address caller);
    error NotOwner(address caller);
    error Paused();
    error ReentrantCall();
    error TokensNotSorted(uint256 index);
    error LengthMismatch(uint256 tokens, uint256 clearingPrices);
    error MalformedExecution(uint256 execution);
    error TokenMismatch(uint256 execution, uint256 token);
    error UnknownSigningScheme(uint256 execution, uint8 scheme);
    error InvalidSignature(uint256 execution);
    error IntentExpired(uint256 execution, uint256 validTo);
    error NonceAlreadyUsed(uint256 execution, address owner, uint256 nonce);
    error NonceCancelled(uint256 execution, address owner, uint256 nonce);
    error PriceOutOfBounds(uint256 execution, uint256 token, uint256 price);
    error ForbiddenInteraction(uint256 index, address target);
    error InteractionFailed(uint256 index, bytes reason);
    error OutcomeNotMet(uint256 execution, uint256 token);
    error ValueNotConserved(uint256 execution, uint256 given, uint256 received);
    error FeeAboveMax(uint256 execution, uint256 fee, uint256 maxFee);
    error SettlementLostFunds(address token, uint256 before, uint256 afterwards);

    // ---- events -------------------------------------------------------------------------
    /// @notice One intent executed; `given`/`received` are valued at the batch's clearing prices.
    event IntentExecuted(
        uint256 indexed execution, address indexed owner, bytes32 indexed intentId, uint256 nonce, uint256 given, uint256 received
    );
    /// @notice A whole batch settled by `solver`.
    event BatchSettled(address indexed solver, uint256 executions, uint256 interactions);
    /// @notice The settlement made an interaction call.
    event InteractionExecuted(address indexed target, uint256 value, bytes4 selector);
    /// @notice `owner` cancelled `nonce`: no intent of theirs with it can execute.
    event NonceInvalidated(address indexed owner, uint256 nonce);
    /// @notice The owner paused (true) or resumed (false) settlement.
    event PauseSet(bool paused);

    /// @notice Settle a batch at one clearing price per token. Only allow-listed solvers.
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        Execution[] calldata executions,
        Interaction[] calldata interactions
    ) external;

    /// @notice Cancel one of the caller's nonces.
    function invalidateNonce(uint256 nonce) external;

    /// @notice The EIP-712 digest of `intent` under this contract's domain: the intent id.
    function hashIntent(Intent calldata intent) external view returns (bytes32);
}
