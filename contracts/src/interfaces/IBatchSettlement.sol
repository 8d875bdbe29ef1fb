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
    /// @notice The caller of `settle` is not on the solver allow-list.
    /// @param caller The refused caller.
    error NotSolver(address caller);
    /// @notice An owner-only function was called by someone else.
    /// @param caller The refused caller.
    error NotOwner(address caller);
    /// @notice The owner paused settlement.
    error Paused();
    /// @notice `settle` was entered again before it returned (from a token or an interaction).
    error ReentrantCall();
    /// @notice `tokens` is not strictly ascending, so some token could get two prices.
    /// @param index The first position whose address is not above the previous one.
    error TokensNotSorted(uint256 index);
    /// @notice `tokens` and `clearingPrices` differ in length.
    /// @param tokens How many tokens.
    /// @param clearingPrices How many prices.
    error LengthMismatch(uint256 tokens, uint256 clearingPrices);
    /// @notice An execution's compact encoding is not well formed (a field past its end, a bad
    ///         length header, an unknown kind, fewer than two tokens, a flow outside int256).
    /// @param execution The execution's index in the batch.
    error MalformedExecution(uint256 execution);
    /// @notice An execution names a token index past the end of the batch's `tokens`.
    /// @param execution The execution's index in the batch.
    /// @param token The intent token (position in the execution) whose index is out of range.
    error TokenIndexOutOfRange(uint256 execution, uint256 token);
    /// @notice An execution names a signing scheme the contract does not know.
    /// @param execution The execution's index in the batch.
    /// @param scheme The unknown scheme.
    error UnknownSigningScheme(uint256 execution, uint8 scheme);
    /// @notice The signature is not the intent owner's for this intent on this chain and contract.
    /// @param execution The execution's index in the batch.
    error InvalidSignature(uint256 execution);
    /// @notice The intent's `validTo` has passed.
    /// @param execution The execution's index in the batch.
    /// @param validTo The signed expiry, unix seconds.
    error IntentExpired(uint256 execution, uint256 validTo);
    /// @notice The owner's nonce was already used by an executed intent.
    /// @param execution The execution's index in the batch.
    /// @param owner The intent's owner.
    /// @param nonce The spent nonce.
    error NonceAlreadyUsed(uint256 execution, address owner, uint256 nonce);
    /// @notice The owner cancelled this nonce with `invalidateNonce`.
    /// @param execution The execution's index in the batch.
    /// @param owner The intent's owner.
    /// @param nonce The cancelled nonce.
    error NonceCancelled(uint256 execution, address owner, uint256 nonce);
    /// @notice A clearing price lies outside the bounds the intent signed.
    /// @param execution The execution's index in the batch.
    /// @param token The intent token's index.
    /// @param price The token's clearing price in the numeraire (1e18-scaled, rounded down).
    error PriceOutOfBounds(uint256 execution, uint256 token, uint256 price);
    /// @notice An interaction targets a contract no interaction may call.
    /// @param index The interaction's index.
    /// @param target The refused target.
    error ForbiddenInteraction(uint256 index, address target);
    /// @notice An interaction calls a function that grants an allowance (approve, permit, ...).
    /// @param index The interaction's index.
    /// @param selector The refused selector.
    error InteractionGrantsAllowance(uint256 index, bytes4 selector);
    /// @notice The owner tried to allow-list a target no interaction may ever call (the
    ///         relayer, the allow-list, or this contract).
    /// @param target The refused target.
    error TargetNotAllowable(address target);
    /// @notice The owner tried to give an allowance to a spender that is not an allowed target.
    /// @param spender The refused spender.
    error SpenderNotATarget(address spender);
    /// @notice The owner tried to guard more tokens than `MAX_GUARDED_TOKENS`.
    error TooManyGuardedTokens();
    /// @notice The owner tried to list more interaction targets than `MAX_TARGETS`.
    error TooManyTargets();
    /// @notice The owner gave a token more decimals than a feed scale can hold (19).
    /// @param decimals The refused decimals.
    error TooManyDecimals(uint8 decimals);
    /// @notice The zero address where an account is needed (fee recipient).
    error ZeroAddress();
    /// @notice An oracle-guarded execution prices a token with no feed set by the owner.
    /// @param execution The execution's index in the batch.
    /// @param token The token without a feed.
    error NoPriceFeed(uint256 execution, address token);
    /// @notice A feed's answer is older than its heartbeat, or not a positive price.
    /// @param execution The execution's index in the batch.
    /// @param token The token whose feed is stale.
    error StaleOracle(uint256 execution, address token);
    /// @notice A clearing price lies further from the feeds than the intent's signed deviation.
    /// @param execution The execution's index in the batch.
    /// @param token The intent token's index.
    /// @param maxDeviationBps The signed bound.
    error OracleDeviation(uint256 execution, uint256 token, uint256 maxDeviationBps);
    /// @notice An interaction reverted.
    /// @param index The interaction's index.
    /// @param reason Its revert data, unchanged.
    error InteractionFailed(uint256 index, bytes reason);
    /// @notice After the batch, an owner's balances miss the signed outcome.
    /// @param execution The execution's index in the batch.
    /// @param token The first intent token (index) outside its weight or balance bounds.
    error OutcomeNotMet(uint256 execution, uint256 token);
    /// @notice A user would receive more value than it gave, at the clearing prices.
    /// @param execution The execution's index in the batch.
    /// @param given Value given (Σ -flow · price over outflows).
    /// @param received Value received (Σ flow · price over inflows).
    error ValueNotConserved(uint256 execution, uint256 given, uint256 received);
    /// @notice The value kept from a user exceeds its signed `maxFeeBps`.
    /// @param execution The execution's index in the batch.
    /// @param fee given - received.
    /// @param maxFee The most the intent allows, rounded down.
    error FeeAboveMax(uint256 execution, uint256 fee, uint256 maxFee);
    /// @notice The contract ended the batch with less of a token (or of ether) than it started with.
    /// @param token The token (address(0) for ether).
    /// @param before Its balance before the batch.
    /// @param afterwards Its balance after.
    error SettlementLostFunds(address token, uint256 before, uint256 afterwards);
    /// @notice A batch without interactions has a token its buyers get more of than its
    ///         sellers give: nothing could source the rest but the contract's own holdings.
    /// @param token The token.
    /// @param excess Σ buys − Σ sells, in base units.
    error BuysExceedSells(address token, uint256 excess);
    /// @notice `sinks` is neither empty nor one per token, or is given to a batch without
    ///         interactions (which may name none).
    /// @param expected The length allowed besides 0 (0 without interactions).
    /// @param actual Its length.
    error SinksLengthMismatch(uint256 expected, uint256 actual);
    /// @notice A token's sink is neither address(0) (this contract) nor an owner-listed
    ///         interaction target: the relayer never sends a user's tokens anywhere else.
    /// @param token The token's index in the batch.
    /// @param sink The address named.
    error SinkNotATarget(uint256 token, address sink);
    /// @notice A closed batch — its interactions all pool swaps that pay others (nothing moves the
    ///         contract's own holdings, so they are not read: SECURITY.md) left a buyer short:
    ///         the pools did not pay what the buyer's residual is owed, and the contract pays
    ///         nothing from its own holdings in such a batch.
    /// @param token The token bought.
    /// @param owner The buyer.
    /// @param missing What the pools left unpaid.
    error ResidualNotPaid(address token, address owner, uint256 missing);
    /// @notice Only the solver allow-list may set the solvers the settlement accepts.
    error NotAllowList(address caller);
    /// @notice More solvers than `MAX_SOLVERS`.
    error TooManySolvers();
    /// @notice `setPoolTarget` derived a pool address (the factory's CREATE2 address for the
    ///         pair) that holds no code: nothing is deployed there.
    error PoolNotDeployed(address pool);

    // ---- events -------------------------------------------------------------------------
    /// @notice A whole batch settled by `solver`: every intent in `intentIds` (EIP-712 digests,
    ///         in execution order) executed and met its signed outcome. What each gave and
    ///         received is its flows at the clearing prices, both in the `settle` calldata
    ///         (docs/interfaces.md, "Events"); one event per batch, not per intent, for gas.
    ///         Interactions have their own `InteractionExecuted` events.
    event BatchSettled(address indexed solver, bytes32[] intentIds);
    /// @notice The settlement made an interaction call.
    event InteractionExecuted(address indexed target, uint256 value, bytes4 selector);
    /// @notice `owner` cancelled `nonce`: no intent of theirs with it can execute.
    event NonceInvalidated(address indexed owner, uint256 nonce);
    /// @notice The owner paused (true) or resumed (false) settlement.
    event PauseSet(bool paused);
    /// @notice The owner allowed (or stopped allowing) interactions to call `target`.
    event InteractionTargetSet(address indexed target, bool allowed);
    /// @notice The owner set this contract's allowance of `token` for `spender`.
    event AllowanceSet(address indexed token, address indexed spender, uint256 amount);
    /// @notice The owner named the account that receives what a batch leaves over.
    event FeeRecipientSet(address indexed recipient);
    /// @notice The owner set (or, with feed address(0), removed) `token`'s USD feed.
    event PriceFeedSet(address indexed token, address feed, uint32 heartbeatS, uint8 tokenDecimals);
    /// @notice The owner listed (or unlisted) `pool`, proven to be `factory`'s pair of two tokens
    ///         by its CREATE2 address, as a pool target.
    event PoolTargetSet(address indexed pool, address indexed factory, bool allowed);
    /// @notice The allow-list set the solvers `settle` accepts (its whole list).
    event SolversSet(address[] solvers);
    /// @notice A batch left `amount` of `token` over; it went to the fee recipient.
    event FeePaid(address indexed token, address indexed recipient, uint256 amount);

    /// @notice Settle a batch at one clearing price per token. Only allow-listed solvers.
    /// @param tokens Every token the batch prices, strictly ascending by address.
    /// @param clearingPrices One price per token: `a` base units of `tokens[i]` are worth
    ///        `a * clearingPrices[i]` (only ratios matter).
    /// @param executions The signed intents and what the batch does for each, one compact
    ///        encoding each (ExecutionCodec; docs/interfaces.md).
    /// @param interactions Calls the settlement makes between pulling and paying (DEX swaps).
    /// @param sinks Empty, or (only with interactions) one address per token: where the
    ///        token's surplus sells go — address(0) for this contract, else an owner-listed
    ///        interaction target (a pool the interactions then swap in).
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        bytes[] calldata executions,
        Interaction[] calldata interactions,
        address[] calldata sinks
    ) external;

    /// @notice Cancel one of the caller's nonces: no intent of theirs with it can execute.
    /// @param nonce The nonce to cancel (a used nonce stays used).
    function invalidateNonce(uint256 nonce) external;

    /// @notice The EIP-712 digest of `intent` under this contract's domain: the intent id.
    /// @param intent The intent as its owner signed it.
    /// @return The digest.
    function hashIntent(Intent memory intent) external view returns (bytes32);
}
