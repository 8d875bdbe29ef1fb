// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchSettlement, Intent, Interaction} from "./interfaces/IBatchSettlement.sol";
import {ISolverAllowList, ISolverMirror} from "./interfaces/ISolverAllowList.sol";
import {IntentHashing} from "./libraries/IntentHashing.sol";
import {Outcome} from "./libraries/Outcome.sol";
import {BalanceOutcome} from "./libraries/BalanceOutcome.sol";
import {ExecutionCodec} from "./libraries/ExecutionCodec.sol";
import {SafeTransfers} from "./libraries/SafeTransfers.sol";
import {Signatures} from "./libraries/Signatures.sol";
import {PriceBounds} from "./libraries/PriceBounds.sol";
import {Netting} from "./libraries/Netting.sol";
import {PayAll} from "./libraries/PayAll.sol";
import {PullAll} from "./libraries/PullAll.sol";
import {AllowanceSelectors} from "./libraries/AllowanceSelectors.sol";
import {InteractionConfig} from "./libraries/InteractionConfig.sol";
import {OracleBounds, FeedConfig} from "./libraries/OracleBounds.sol";
import {Relayer} from "./Relayer.sol";

/// @title BatchSettlement
/// @notice Settles a batch of signed risk outcomes at one clearing price per token.
/// @dev Learned from CoW Protocol's GPv2Settlement (relayer holding approvals, allow-listed
///      solvers, interactions that may not touch the relayer) but checks what users signed,
///      an outcome, instead of a limit order, and enforces uniform prices on-chain: `tokens`
///      must be strictly ascending, so each token has exactly one price per call.
///      Order of effects (docs/interfaces.md): verify every execution; move the sells — with
///      interactions and no sinks, every sell into this contract (PullAll, GPv2's shape);
///      otherwise netted (Netting: each matched amount moves seller → buyer through the
///      relayer, each token's surplus sells to a sink); with interactions, interact and pay
///      what buyers are still owed (every buy, without sinks; nothing when closed); then every
///      outcome and value conservation; with interactions and not closed, the contract's own
///      balances. A batch is closed (`_closed`) when only proven-pool swaps paying others run
///      and no surplus comes in: nothing can move the contract's holdings, so they are unread.
///      The contract keeps nothing (SECURITY.md): interactions may call only owner-listed
///      targets and never an allowance-granting function; in a batch with interactions every
///      batch token, every token the owner gave an allowance for, and ether end no lower than
///      they began, and what the batch leaves over goes to the owner-set fee recipient in the
///      same call; a batch without interactions never touches the contract's balances (its
///      sellers pay the fee recipient directly, and a token bought beyond what is sold is refused).
///      Solvers: the allow-list's, mirrored into the configuration (`setSolvers`).
contract BatchSettlement is IBatchSettlement, ISolverMirror {
    using SafeTransfers for address;

    enum NonceState {
        Free,
        Used,
        Cancelled
    }

    uint8 internal constant SCHEME_EIP712 = 0;
    uint8 internal constant SCHEME_EIP1271 = 1;
    uint256 internal constant NO_MISS = type(uint256).max;
    /// @notice The most tokens the owner may give standing allowances for (each costs two
    ///         balance reads in a batch with interactions).
    uint256 public constant MAX_GUARDED_TOKENS = 16;
    /// @notice The most interaction targets the owner may list.
    uint256 public constant MAX_TARGETS = 16;
    /// @notice The most solvers the allow-list may name.
    uint256 public constant MAX_SOLVERS = 32;
    /// @dev UniswapV2Pair.swap(uint256,uint256,address,bytes).
    bytes4 internal constant V2_SWAP = 0x022c0d9f;

    /// @notice The list of solvers allowed to call `settle`.
    ISolverAllowList public immutable allowList;
    /// @notice The relayer users approve; created here, callable only by this contract.
    Relayer public immutable relayer;

    bytes32 private immutable _separatorAtDeploy;
    uint256 private immutable _chainIdAtDeploy;

    /// @notice While true, `settle` reverts with `Paused()`. Funds cannot move either way.
    bool public paused;
    /// @dev The configuration (InteractionConfig: the owner's targets and guarded tokens, the
    ///      allow-list's solvers), in the slot `settle` reads for `paused` anyway.
    address private _config;
    /// @notice The account that may pause settlement and configure interactions (and nothing else).
    address public owner;

    /// @notice Whether (owner, nonce) is free, used by an executed intent, or cancelled.
    mapping(address => mapping(uint256 => NonceState)) public nonceState;

    /// @notice Who receives what a batch leaves over (fees, rounding, DEX surplus).
    address public feeRecipient;
    /// @notice Each token's USD feed, for executions whose intent bounds prices by the oracle.
    mapping(address => FeedConfig) public priceFeeds;

    uint256 private transient _entered;

    /// @param allowList_ The solver allow-list.
    /// @param owner_ The account that may pause settlement and configure interactions.
    /// @param feeRecipient_ Who receives what batches leave over.
    constructor(ISolverAllowList allowList_, address owner_, address feeRecipient_) {
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        allowList = allowList_;
        owner = owner_;
        feeRecipient = feeRecipient_;
        relayer = new Relayer();
        _chainIdAtDeploy = block.chainid;
        _separatorAtDeploy = IntentHashing.domainSeparator(address(this));
    }

    modifier nonReentrant() {
        if (_entered != 0) revert ReentrantCall();
        _entered = 1;
        _;
        _entered = 0;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    // ---- the batch ----------------------------------------------------------------------

    /// @inheritdoc IBatchSettlement
    /// @dev Reverts, leaving every balance untouched, with the first failed check's error.
    ///      Each compact execution is decoded once (ExecutionCodec) into memory; the later
    ///      passes read the decoded form.
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        bytes[] calldata executions,
        Interaction[] calldata interactions,
        address[] calldata sinks
    ) external nonReentrant {
        if (paused) revert Paused();
        // The allow-list mirrors its solvers into the configuration (`setSolvers`), so one
        // EXTCODECOPY answers both who may settle and what interactions may call.
        bytes memory config = InteractionConfig.load(_config);
        if (!InteractionConfig.isSolver(config, msg.sender)) revert NotSolver(msg.sender);
        _checkTokens(tokens, clearingPrices);
        // Two paths, each a function of its own: only what a path needs is on its stack (the
        // compiler otherwise moves the netting loops' variables to memory, ~6k gas a batch).
        bytes32[] memory ids;
        if (interactions.length == 0) {
            if (sinks.length != 0) revert SinksLengthMismatch(0, sinks.length);
            ids = _settleDirect(tokens, clearingPrices, executions);
        } else {
            ids = sinks.length == 0
                ? _settlePulled(tokens, clearingPrices, executions, interactions, config)
                : _settleSinks(tokens, clearingPrices, executions, interactions, sinks, config);
        }
        // One event for the batch: the intent ids in execution order. What each intent gave
        // and received is in the calldata (its flows at the clearing prices), which
        // `contracts.settlement` decodes; a per-intent event cost ~2.3k gas each.
        emit BatchSettled(msg.sender, ids);
    }

    /// @dev A batch without interactions: nothing can move the contract's own holdings
    ///      (SECURITY.md, "Where users' tokens go"), so its balances are neither read nor
    ///      re-checked; a token whose buys exceed its sells is refused, the sellers pay any
    ///      surplus straight to the fee recipient, and there are no residual buys to pay.
    function _settleDirect(address[] calldata tokens, uint256[] calldata clearingPrices, bytes[] calldata executions)
        private
        returns (bytes32[] memory ids)
    {
        ExecutionCodec.Decoded[] memory decoded;
        (decoded, ids) = _verifyAll(tokens, clearingPrices, executions);
        uint256 table = _moveDirect(decoded, tokens);
        _checkOutcomes(clearingPrices, decoded);
        _logFees(tokens, table);
    }

    /// @dev A batch with interactions and no sinks, GPv2's shape: every sell into this contract
    ///      (PullAll), interactions, every buy paid from it whole (PayAll.payFlows), no netting
    ///      walk (on routed batches matching spares few transfers and the walk cost more than it
    ///      saved: README, "Settlement gas"), and every keeps-nothing check (the batch tokens'
    ///      balances before and after, ether and the guarded tokens). A function of its own,
    ///      apart from the sinks path: sharing one body cost this path's per-execution loops
    ///      stack shuffling (~15 gas an execution, README "Settlement gas").
    function _settlePulled(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        bytes[] calldata executions,
        Interaction[] calldata interactions,
        bytes memory config
    ) private returns (bytes32[] memory ids) {
        uint256[] memory keeps = _keepsBefore(tokens, config);
        ExecutionCodec.Decoded[] memory decoded;
        (decoded, ids) = _verifyAll(tokens, clearingPrices, executions);
        PullAll.pull(decoded, address(relayer));
        _interact(interactions, config, false);
        PayAll.payFlows(decoded);
        _checkOutcomes(clearingPrices, decoded);
        _keepsAfter(tokens, keeps);
    }

    /// @dev A batch with interactions and sinks, Netting: every matched amount seller → buyer
    ///      and every surplus sell seller → this contract or the pool `sinks` names, through the
    ///      relayer; a residual buyer's balance is read before the interactions, so what a pool
    ///      pays it directly counts towards its due (PayAll). Not closed: the keeps-nothing
    ///      checks, and the contract pays what buyers still lack. Closed (`_closed`): nothing in
    ///      the batch can move the contract's holdings, so they are not read, and the contract
    ///      pays nothing: `PayAll.checkPaid` checks that the pools paid every due.
    function _settleSinks(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        bytes[] calldata executions,
        Interaction[] calldata interactions,
        address[] calldata sinks,
        bytes memory config
    ) private returns (bytes32[] memory ids) {
        _checkSinks(tokens.length, sinks, config);
        ExecutionCodec.Decoded[] memory decoded;
        (decoded, ids) = _verifyAll(tokens, clearingPrices, executions);
        (uint256 table,,,) = Netting.collect(decoded, tokens.length);
        bool closed = _closed(table, sinks, interactions, config);
        uint256[] memory keeps;
        if (!closed) keeps = _keepsBefore(tokens, config);
        Netting.move(table, tokens, sinks, address(this), address(relayer));
        PayAll.noteBalances(table, tokens, closed);
        _interact(interactions, config, closed);
        if (closed) {
            PayAll.checkPaid(table, tokens);
            _checkOutcomes(clearingPrices, decoded);
        } else {
            PayAll.pay(table, tokens);
            _checkOutcomes(clearingPrices, decoded);
            _keepsAfter(tokens, keeps);
        }
    }

    /// @dev Closed: no surplus sell comes into this contract (every token with one names a
    ///      sink) and every interaction is a closed pool swap (`_isPoolSwap`). Then nothing in
    ///      the batch can lower or raise the contract's holdings (SECURITY.md, "Where users'
    ///      tokens go"): the relayer moves users' tokens only; a proven V2 pair's `swap` with
    ///      empty data pays only its own tokens, to someone else, and calls nobody back; no
    ///      interaction carries ether; and the contract transfers nothing (PayAll refuses to).
    function _closed(uint256 table, address[] calldata sinks, Interaction[] calldata interactions, bytes memory config)
        private
        view
        returns (bool)
    {
        for (uint256 k; k < sinks.length; ++k) {
            if (sinks[k] == address(0) && Netting.surplusOf(table, k) != 0) return false;
        }
        for (uint256 i; i < interactions.length; ++i) {
            if (!_isPoolSwap(interactions[i], config)) return false;
        }
        return true;
    }

    /// @dev A call of `swap(amount0Out, amount1Out, to, data)` on an owner-proven pool target,
    ///      without ether, `to` a clean address other than this contract and `data` empty
    ///      (exactly 164 bytes: the bytes' offset 0x80 and length 0), so the pair calls no one back.
    function _isPoolSwap(Interaction calldata it, bytes memory config) private view returns (bool) {
        bytes calldata data = it.callData;
        if (it.value != 0 || data.length != 164 || bytes4(data[0:4]) != V2_SWAP) return false;
        uint256 to = uint256(bytes32(data[68:100]));
        if (to >> 160 != 0 || to == uint256(uint160(address(this)))) return false;
        if (uint256(bytes32(data[100:132])) != 0x80 || uint256(bytes32(data[132:164])) != 0) return false;
        return InteractionConfig.kindOf(config, it.target) == InteractionConfig.POOL;
    }

    /// @dev `sinks` is empty or one per token, each address(0) or an owner-listed target.
    function _checkSinks(uint256 tokenCount, address[] calldata sinks, bytes memory config) private pure {
        if (sinks.length == 0) return;
        if (sinks.length != tokenCount) revert SinksLengthMismatch(tokenCount, sinks.length);
        for (uint256 k; k < sinks.length; ++k) {
            address sink = sinks[k];
            if (sink != address(0) && !InteractionConfig.isTarget(config, sink)) revert SinkNotATarget(k, sink);
        }
    }

    function _checkOutcomes(uint256[] calldata clearingPrices, ExecutionCodec.Decoded[] memory decoded) private view {
        for (uint256 i; i < decoded.length; ++i) {
            _checkOutcome(i, clearingPrices, decoded[i]);
        }
    }

    /// @dev Without interactions: every matched amount seller → buyer and every surplus sell
    ///      seller → fee recipient, through the relayer (Netting.move); a token whose buys exceed its
    ///      sells is refused before anything moves: only the contract's holdings could pay it.
    function _moveDirect(ExecutionCodec.Decoded[] memory decoded, address[] calldata tokens)
        private
        returns (uint256 table)
    {
        (uint256 t, uint256 short, uint256 excess, bool surplus) = Netting.collect(decoded, tokens.length);
        if (short != tokens.length) revert BuysExceedSells(tokens[short], excess);
        Netting.move(t, tokens, _noSinks(), surplus ? feeRecipient : address(0), address(relayer));
        table = t;
    }

    /// @dev An empty calldata `address[]`.
    function _noSinks() private pure returns (address[] calldata sinks) {
        assembly ("memory-safe") {
            sinks.offset := 0
            sinks.length := 0
        }
    }

    /// @dev `FeePaid` for each token a batch without interactions left over (its sellers
    ///      paid it to the fee recipient directly).
    function _logFees(address[] calldata tokens, uint256 table) private {
        address recipient;
        for (uint256 k; k < tokens.length; ++k) {
            uint256 amount = Netting.surplusOf(table, k);
            if (amount == 0) continue;
            if (recipient == address(0)) recipient = feeRecipient;
            emit FeePaid(tokens[k], recipient, amount);
        }
    }

    /// @dev `_verify` for every execution; returns them decoded, and their ids.
    function _verifyAll(address[] calldata tokens, uint256[] calldata clearingPrices, bytes[] calldata executions)
        private
        returns (ExecutionCodec.Decoded[] memory decoded, bytes32[] memory ids)
    {
        bytes32 separator = domainSeparator();
        decoded = ExecutionCodec.allocate(executions.length);
        ids = new bytes32[](executions.length);
        for (uint256 i; i < executions.length; ++i) {
            ExecutionCodec.decodeInto(decoded, i, executions[i], tokens);
            ExecutionCodec.Decoded memory d = decoded[i];
            ids[i] = _verify(i, separator, clearingPrices, d);
        }
    }

    /// @dev Strictly ascending addresses: one price per token per call.
    function _checkTokens(address[] calldata tokens, uint256[] calldata clearingPrices) private pure {
        if (tokens.length != clearingPrices.length) revert LengthMismatch(tokens.length, clearingPrices.length);
        for (uint256 i = 1; i < tokens.length; ++i) {
            if (tokens[i] <= tokens[i - 1]) revert TokensNotSorted(i);
        }
    }

    /// @dev Signature, validTo, nonce (then marks it used), price bounds. Returns the intent id.
    function _verify(uint256 i, bytes32 separator, uint256[] calldata prices, ExecutionCodec.Decoded memory d)
        private
        returns (bytes32 id)
    {
        Intent memory intent = d.intent;
        id = d.oracleGuarded
            ? IntentHashing.digestOf(separator, IntentHashing.hashStructGuarded(intent, d.maxOracleDeviationBps))
            : IntentHashing.digest(separator, intent);
        _checkSignature(i, id, d);
        if (block.timestamp > intent.validTo) revert IntentExpired(i, intent.validTo);
        _useNonce(i, intent.owner, intent.nonce);
        (uint256 miss, uint256 relative) = PriceBounds.firstMiss(
            prices, d.priceIndex, d.flows, intent.minPrice, intent.maxPrice, intent.kind == ExecutionCodec.KIND_WEIGHTS
        );
        if (miss != 0) revert PriceOutOfBounds(i, miss - 1, relative);
        if (d.oracleGuarded) _checkOracle(i, prices, d);
    }

    /// @dev Every token that matters (as for the price bounds) against the owner-set feeds:
    ///      fresh answers, and the clearing price within the signed deviation of the feeds'.
    function _checkOracle(uint256 i, uint256[] calldata prices, ExecutionCodec.Decoded memory d) private view {
        Intent memory intent = d.intent;
        (uint256 f0, uint256 scale0) = _feed(i, intent.tokens[0]);
        uint256 p0 = prices[d.priceIndex[0]];
        bool allMatter = intent.kind == ExecutionCodec.KIND_WEIGHTS;
        for (uint256 j = 1; j < intent.tokens.length; ++j) {
            if (!allMatter && d.flows[j] == 0) continue;
            (uint256 fj, uint256 scaleJ) = _feed(i, intent.tokens[j]);
            if (!OracleBounds.within(prices[d.priceIndex[j]], p0, fj, f0, scaleJ, scale0, d.maxOracleDeviationBps)) {
                revert OracleDeviation(i, j, d.maxOracleDeviationBps);
            }
        }
    }

    /// @dev `token`'s fresh feed answer and its base-unit scale, or the execution's refusal.
    function _feed(uint256 i, address token) private view returns (uint256 answer, uint256 scale) {
        FeedConfig memory config = priceFeeds[token];
        if (config.feed == address(0)) revert NoPriceFeed(i, token);
        bool fresh;
        (answer, fresh) = OracleBounds.read(config);
        if (!fresh) revert StaleOracle(i, token);
        scale = config.scale;
    }

    /// @dev EIP-712 by an EOA (65 bytes r‖s‖v, low s) or EIP-1271 by a contract wallet.
    function _checkSignature(uint256 i, bytes32 id, ExecutionCodec.Decoded memory d) private view {
        address owner_ = d.intent.owner;
        bytes calldata signature = ExecutionCodec.signature(d);
        bool valid;
        if (d.scheme == SCHEME_EIP712) {
            address recovered = signature.length == 65 ? Signatures.recover(id, signature) : address(0);
            valid = recovered != address(0) && recovered == owner_;
        } else if (d.scheme == SCHEME_EIP1271) {
            valid = Signatures.isValidERC1271(owner_, id, signature);
        } else {
            revert UnknownSigningScheme(i, uint8(d.scheme));
        }
        if (!valid) revert InvalidSignature(i);
    }

    /// @dev A free nonce becomes used; a used or cancelled one refuses the execution.
    function _useNonce(uint256 i, address owner_, uint256 nonce) private {
        mapping(uint256 => NonceState) storage nonces = nonceState[owner_];
        NonceState state = nonces[nonce];
        if (state == NonceState.Used) revert NonceAlreadyUsed(i, owner_, nonce);
        if (state == NonceState.Cancelled) revert NonceCancelled(i, owner_, nonce);
        nonces[nonce] = NonceState.Used;
    }

    /// @dev Solver calls (DEX swaps), to owner-listed targets only, never granting an allowance.
    ///      In a closed batch `_isPoolSwap` has proven every one a pool target's `swap` already.
    function _interact(Interaction[] calldata interactions, bytes memory config, bool closed) private {
        for (uint256 i; i < interactions.length; ++i) {
            Interaction calldata it = interactions[i];
            address target = it.target;
            bytes4 selector = it.callData.length >= 4 ? bytes4(it.callData[0:4]) : bytes4(0);
            if (!closed) {
                if (!InteractionConfig.isTarget(config, target)) revert ForbiddenInteraction(i, target);
                if (AllowanceSelectors.grants(selector)) revert InteractionGrantsAllowance(i, selector);
            }
            (bool ok, bytes memory reason) = target.call{value: it.value}(it.callData);
            if (!ok) revert InteractionFailed(i, reason);
            emit InteractionExecuted(target, it.value, selector);
        }
    }

    /// @dev The signed outcome on post-batch balances, then value conservation and the fee cap.
    ///      A BALANCES outcome and the value are one pass (BalanceOutcome); WEIGHTS needs the
    ///      portfolio's total first (Outcome.firstWeightMiss).
    function _checkOutcome(uint256 i, uint256[] calldata clearingPrices, ExecutionCodec.Decoded memory d)
        private
        view
    {
        Intent memory intent = d.intent;
        uint256 miss;
        uint256 given;
        uint256 received;
        if (intent.kind == ExecutionCodec.KIND_WEIGHTS) {
            uint256[] memory balances = SafeTransfers.balancesOf(intent.tokens, intent.owner);
            uint256[] memory prices = PriceBounds.pricesOf(clearingPrices, d.priceIndex);
            miss = Outcome.firstWeightMiss(balances, prices, intent.targetWeightBps, intent.toleranceBps);
            if (miss != NO_MISS) revert OutcomeNotMet(i, miss);
            (given, received) = Outcome.valueOf(d.flows, prices);
        } else {
            (miss, given, received) = BalanceOutcome.check(
                intent.owner, intent.tokens, intent.minBalance, intent.maxBalance, clearingPrices, d.priceIndex, d.flows
            );
            if (miss != NO_MISS) revert OutcomeNotMet(i, miss);
        }
        if (received > given) revert ValueNotConserved(i, given, received);
        uint256 fee = given - received;
        // fee / given <= maxFeeBps / 10000, cross-multiplied so nothing rounds.
        if (fee * Outcome.BPS > intent.maxFeeBps * given) {
            revert FeeAboveMax(i, fee, intent.maxFeeBps * given / Outcome.BPS);
        }
    }

    /// @dev What the keeps-nothing checks read before a batch that is not closed, in one flat
    ///      array (an array left unassigned in a closed batch costs no memory, a struct would):
    ///      [0] ether; [1 + i] the contract's balance of batch token i; then (token, balance)
    ///      for each guarded token (standing allowance) that is not a batch token. Only a batch
    ///      with interactions reads them: one without can move none of them.
    function _keepsBefore(address[] calldata tokens, bytes memory config)
        private
        view
        returns (uint256[] memory keeps)
    {
        address[] memory guarded = InteractionConfig.guarded(config);
        keeps = new uint256[](1 + tokens.length + 2 * guarded.length);
        keeps[0] = address(this).balance;
        for (uint256 i; i < tokens.length; ++i) {
            keeps[1 + i] = SafeTransfers.balanceOf(tokens[i], address(this));
        }
        uint256 at = 1 + tokens.length;
        for (uint256 i; i < guarded.length; ++i) {
            if (_isListed(tokens, guarded[i])) continue; // a batch token: checked as one
            keeps[at++] = uint160(guarded[i]);
            keeps[at++] = SafeTransfers.balanceOf(guarded[i], address(this));
        }
        assembly ("memory-safe") {
            mstore(keeps, at) // the guarded tokens that were batch tokens take no room
        }
    }

    /// @dev The contract ends with no less of any batch token than it started with, and
    ///      exactly as much: what the batch left over goes to the fee recipient; then ether and
    ///      the guarded tokens end no lower than they began.
    function _keepsAfter(address[] calldata tokens, uint256[] memory keeps) private {
        for (uint256 i; i < tokens.length; ++i) {
            address token = tokens[i];
            uint256 afterwards = SafeTransfers.balanceOf(token, address(this));
            uint256 start = keeps[1 + i];
            if (afterwards < start) revert SettlementLostFunds(token, start, afterwards);
            if (afterwards > start) {
                address recipient = feeRecipient;
                token.safeTransfer(recipient, afterwards - start);
                emit FeePaid(token, recipient, afterwards - start);
            }
        }
        if (address(this).balance < keeps[0]) revert SettlementLostFunds(address(0), keeps[0], address(this).balance);
        for (uint256 at = 1 + tokens.length; at < keeps.length; at += 2) {
            uint256 before = keeps[at + 1];
            if (before == 0) continue; // nothing held, nothing to lose
            address token = address(uint160(keeps[at]));
            uint256 afterwards = SafeTransfers.balanceOf(token, address(this));
            if (afterwards < before) revert SettlementLostFunds(token, before, afterwards);
        }
    }

    /// @dev Binary search in the strictly ascending batch tokens.
    function _isListed(address[] calldata tokens, address token) private pure returns (bool) {
        uint256 lo;
        uint256 hi = tokens.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            address at = tokens[mid];
            if (at == token) return true;
            if (at < token) lo = mid + 1;
            else hi = mid;
        }
        return false;
    }

    // ---- users, owner, views -------------------------------------------------------------

    /// @inheritdoc IBatchSettlement
    /// @dev A used nonce stays used; a free one becomes cancelled. Moves no funds.
    function invalidateNonce(uint256 nonce) external {
        if (nonceState[msg.sender][nonce] == NonceState.Free) {
            nonceState[msg.sender][nonce] = NonceState.Cancelled;
        }
        emit NonceInvalidated(msg.sender, nonce);
    }

    /// @notice Stop `settle` until `unpause`. Owner only; moves no funds.
    function pause() external onlyOwner {
        paused = true;
        emit PauseSet(true);
    }

    /// @notice Let `settle` run again. Owner only.
    function unpause() external onlyOwner {
        paused = false;
        emit PauseSet(false);
    }

    /// @notice Allow (or stop allowing) interactions to call `target`, a router. Owner only.
    /// @dev The relayer, the allow-list and this contract can never be targets. A pool target
    ///      listed again here becomes a router (its batches are never closed).
    /// @param target A DEX router or pool.
    /// @param allowed Whether interactions may call it.
    function setInteractionTarget(address target, bool allowed) external onlyOwner {
        _setTarget(target, allowed, false);
        emit InteractionTargetSet(target, allowed);
    }

    /// @notice List (or unlist) a Uniswap-V2-style pair as a pool target, proven by its address:
    ///         the factory's CREATE2 address for (token0, token1) and the pair's init code hash.
    ///         Owner only. A batch whose interactions are all `swap`s on pool targets that pay
    ///         someone else and call no one back is closed (its holdings are not re-read).
    /// @dev The owner vouches for `factory` and `initCodeHash` (Uniswap V2's own, or a fork's
    ///      whose pairs move only their own tokens); the address is derived here, so no token or
    ///      router can be listed as a pool by a wrong address. A pool never gets an allowance.
    /// @param factory The pair's factory.
    /// @param initCodeHash keccak256 of the pair's creation code.
    /// @param tokenA One token of the pair.
    /// @param tokenB The other.
    /// @param allowed Whether interactions may call it.
    /// @return pool The pair's address.
    function setPoolTarget(address factory, bytes32 initCodeHash, address tokenA, address tokenB, bool allowed)
        external
        onlyOwner
        returns (address pool)
    {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 salt = keccak256(abi.encodePacked(token0, token1));
        pool = address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", factory, salt, initCodeHash)))));
        if (allowed && pool.code.length == 0) revert PoolNotDeployed(pool);
        _setTarget(pool, allowed, true);
        emit PoolTargetSet(pool, factory, allowed);
    }

    /// @dev `target` listed (as a router or a pool) or unlisted.
    function _setTarget(address target, bool allowed, bool pool) private {
        if (target == address(relayer) || target == address(allowList) || target == address(this)) {
            revert TargetNotAllowable(target);
        }
        InteractionConfig.Parts memory parts = InteractionConfig.decode(InteractionConfig.load(_config));
        uint256 at = _indexOf(parts.targets, target);
        uint256 mask = parts.poolMask;
        // the mask's bit `at` moves out (removed) or is set to `pool`; the bits above shift down
        // with the targets when one is removed
        uint256 below = mask & ((1 << at) - 1);
        uint256 above = mask >> (at + 1);
        if (allowed) {
            parts.targets = _setMember(parts.targets, target, true);
            if (parts.targets.length > MAX_TARGETS) revert TooManyTargets();
            parts.poolMask = below | ((pool ? 1 : 0) << at) | (above << (at + 1));
        } else if (at != parts.targets.length) {
            parts.targets = _setMember(parts.targets, target, false);
            parts.poolMask = below | (above << at);
        }
        _config = InteractionConfig.store(InteractionConfig.encode(parts));
    }

    /// @inheritdoc ISolverMirror
    /// @dev The allow-list's whole list, each time it changes (SolverAllowList).
    function setSolvers(address[] calldata solvers_) external {
        if (msg.sender != address(allowList)) revert NotAllowList(msg.sender);
        if (solvers_.length > MAX_SOLVERS) revert TooManySolvers();
        InteractionConfig.Parts memory parts = InteractionConfig.decode(InteractionConfig.load(_config));
        parts.solvers = solvers_;
        _config = InteractionConfig.store(InteractionConfig.encode(parts));
        emit SolversSet(solvers_);
    }

    /// @notice Set this contract's allowance of `token` for `spender`. Owner only; the only way
    ///         the contract ever grants an allowance. `token` is guarded from then on.
    /// @param token The ERC-20.
    /// @param spender An allowed router target (any spender when revoking with 0; never a pool).
    /// @param amount The allowance.
    function setAllowance(address token, address spender, uint256 amount) external onlyOwner {
        InteractionConfig.Parts memory parts = InteractionConfig.decode(InteractionConfig.load(_config));
        if (amount != 0 && _kindOf(parts, spender) != InteractionConfig.ROUTER) revert SpenderNotATarget(spender);
        address[] memory more = _setMember(parts.guarded, token, true);
        if (more.length != parts.guarded.length) {
            if (more.length > MAX_GUARDED_TOKENS) revert TooManyGuardedTokens();
            parts.guarded = more;
            _config = InteractionConfig.store(InteractionConfig.encode(parts));
        }
        token.safeApprove(spender, amount);
        emit AllowanceSet(token, spender, amount);
    }

    function _kindOf(InteractionConfig.Parts memory parts, address target) private pure returns (uint256) {
        uint256 at = _indexOf(parts.targets, target);
        if (at == parts.targets.length) return InteractionConfig.NOT_A_TARGET;
        return (parts.poolMask >> at) & 1 == 1 ? InteractionConfig.POOL : InteractionConfig.ROUTER;
    }

    /// @dev `member`'s index in `list`, or `list.length`.
    function _indexOf(address[] memory list, address member) private pure returns (uint256) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == member) return i;
        }
        return list.length;
    }

    /// @dev `list` with `member` in it (appended if missing) or out of it (removed if there).
    function _setMember(address[] memory list, address member, bool present) private pure returns (address[] memory) {
        uint256 at = _indexOf(list, member);
        if (present == (at != list.length)) return list;
        address[] memory out = new address[](present ? list.length + 1 : list.length - 1);
        uint256 k;
        for (uint256 i; i < list.length; ++i) {
            if (i != at) out[k++] = list[i];
        }
        if (present) out[k] = member;
        return out;
    }

    /// @notice Set `token`'s USD feed (Chainlink-style, the same decimals for every token) for
    ///         oracle-guarded executions; feed address(0) removes it. Owner only.
    /// @param token The ERC-20.
    /// @param feed Its aggregator (`latestRoundData`).
    /// @param heartbeatS Older answers are stale.
    /// @param tokenDecimals The token's decimals (at most 19).
    function setPriceFeed(address token, address feed, uint32 heartbeatS, uint8 tokenDecimals) external onlyOwner {
        if (tokenDecimals > 19) revert TooManyDecimals(tokenDecimals); // 10**decimals must fit a uint64
        priceFeeds[token] = FeedConfig(feed, heartbeatS, uint64(10 ** tokenDecimals));
        emit PriceFeedSet(token, feed, heartbeatS, tokenDecimals);
    }

    /// @notice Name who receives what batches leave over. Owner only.
    /// @param recipient The new fee recipient (not the zero address).
    function setFeeRecipient(address recipient) external onlyOwner {
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    /// @notice Whether interactions may call `target`.
    /// @param target The address.
    /// @return Whether the owner listed it.
    function isInteractionTarget(address target) external view returns (bool) {
        return InteractionConfig.isTarget(InteractionConfig.load(_config), target);
    }

    /// @notice Whether `target` is a pool target (`setPoolTarget`).
    /// @param target The address.
    /// @return Whether the owner listed it as a proven pool.
    function isPoolTarget(address target) external view returns (bool) {
        return InteractionConfig.kindOf(InteractionConfig.load(_config), target) == InteractionConfig.POOL;
    }

    /// @notice The solvers `settle` accepts (the allow-list's, mirrored).
    /// @return The solvers.
    function solvers() external view returns (address[] memory) {
        return InteractionConfig.decode(InteractionConfig.load(_config)).solvers;
    }

    /// @notice The contracts interactions may call.
    /// @return The owner-listed targets.
    function interactionTargets() external view returns (address[] memory) {
        return InteractionConfig.decode(InteractionConfig.load(_config)).targets;
    }

    /// @notice The tokens the owner gave a standing allowance for: a batch with interactions
    ///         checks their balances even when they are not batch tokens.
    /// @return The guarded tokens.
    function guardedTokens() external view returns (address[] memory) {
        return InteractionConfig.guarded(InteractionConfig.load(_config));
    }

    /// @notice The EIP-712 domain separator (recomputed if the chain id changed since deploy).
    /// @return The separator of domain ("keel", "1", this chain, this contract).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _chainIdAtDeploy ? _separatorAtDeploy : IntentHashing.domainSeparator(address(this));
    }

    /// @inheritdoc IBatchSettlement
    function hashIntent(Intent memory intent) external view returns (bytes32) {
        return IntentHashing.digest(domainSeparator(), intent);
    }

    /// @notice The EIP-712 digest of an oracle-guarded intent (the `Intent` type with
    ///         `maxOracleDeviationBps` appended) under this contract's domain.
    /// @param intent The intent's other fields.
    /// @param maxOracleDeviationBps Its bound on each clearing price's distance from the feeds.
    /// @return The digest.
    function hashGuardedIntent(Intent memory intent, uint256 maxOracleDeviationBps) external view returns (bytes32) {
        return IntentHashing.digestOf(domainSeparator(), IntentHashing.hashStructGuarded(intent, maxOracleDeviationBps));
    }

    /// @notice True when `owner_`'s `nonce` can no longer execute (used or cancelled).
    /// @param owner_ The intent owner.
    /// @param nonce The nonce.
    /// @return Whether it is used or cancelled.
    function isNonceSpent(address owner_, uint256 nonce) external view returns (bool) {
        return nonceState[owner_][nonce] != NonceState.Free;
    }
}
