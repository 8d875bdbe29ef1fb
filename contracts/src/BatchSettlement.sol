// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchSettlement, Intent, Execution, Interaction} from "./interfaces/IBatchSettlement.sol";
import {ISolverAllowList} from "./interfaces/ISolverAllowList.sol";
import {IntentHashing} from "./libraries/IntentHashing.sol";
import {Outcome} from "./libraries/Outcome.sol";
import {ExecutionCalldata} from "./libraries/ExecutionCalldata.sol";
import {SafeTransfers} from "./libraries/SafeTransfers.sol";
import {Signatures} from "./libraries/Signatures.sol";
import {PriceBounds} from "./libraries/PriceBounds.sol";
import {RelayerCall} from "./libraries/RelayerCall.sol";
import {AllowanceSelectors} from "./libraries/AllowanceSelectors.sol";
import {Relayer} from "./Relayer.sol";

/// @title BatchSettlement
/// @notice Settles a batch of signed risk outcomes at one clearing price per token.
/// @dev Learned from CoW Protocol's GPv2Settlement (relayer holding approvals, allow-listed
///      solvers, interactions that may not touch the relayer) but checks what users signed,
///      an outcome, instead of a limit order, and enforces uniform prices on-chain: `tokens`
///      must be strictly ascending, so each token has exactly one price per call.
///      Order of checks (docs/interfaces.md): verify every execution, pull, interact, pay,
///      then every outcome and value conservation, then the contract's own balances.
///      The contract keeps nothing (SECURITY.md): interactions may call only owner-listed
///      targets and never an allowance-granting function; every batch token, every token the
///      owner gave an allowance for, and ether end no lower than they began; what a batch
///      leaves over of a batch token goes to the owner-set fee recipient in the same call.
contract BatchSettlement is IBatchSettlement {
    using SafeTransfers for address;

    enum NonceState {
        Free,
        Used,
        Cancelled
    }

    uint8 internal constant KIND_WEIGHTS = 0;
    uint8 internal constant KIND_BALANCES = 1;
    uint8 internal constant SCHEME_EIP712 = 0;
    uint8 internal constant SCHEME_EIP1271 = 1;
    uint256 internal constant NO_MISS = type(uint256).max;
    /// @notice The most tokens the owner may give standing allowances for (each costs two
    ///         balance reads in a batch with interactions).
    uint256 public constant MAX_GUARDED_TOKENS = 16;

    /// @notice The list of solvers allowed to call `settle`.
    ISolverAllowList public immutable allowList;
    /// @notice The relayer users approve; created here, callable only by this contract.
    Relayer public immutable relayer;

    bytes32 private immutable _separatorAtDeploy;
    uint256 private immutable _chainIdAtDeploy;

    /// @notice The account that may pause and resume settlement (and nothing else).
    address public owner;
    /// @notice While true, `settle` reverts with `Paused()`. Funds cannot move either way.
    bool public paused;

    /// @notice Whether (owner, nonce) is free, used by an executed intent, or cancelled.
    mapping(address => mapping(uint256 => NonceState)) public nonceState;

    /// @notice Who receives what a batch leaves over (fees, rounding, DEX surplus).
    address public feeRecipient;
    /// @notice The contracts interactions may call (DEX routers and pools), set by the owner.
    mapping(address => bool) public isInteractionTarget;
    /// @notice Tokens the owner gave a standing allowance for: a batch with interactions
    ///         checks their balances even when they are not batch tokens.
    address[] public guardedTokens;
    mapping(address => bool) private _isGuarded;

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
    ///      Executions are read straight from calldata (ExecutionCalldata), once per pass.
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        Execution[] calldata executions,
        Interaction[] calldata interactions
    ) external nonReentrant {
        if (paused) revert Paused();
        if (!allowList.isSolver(msg.sender)) revert NotSolver(msg.sender);
        _checkTokens(tokens, clearingPrices);
        uint256[] memory startBalances = _ownBalances(tokens);
        Guard memory guard = _guardBefore(tokens, interactions.length != 0);

        (bytes32[] memory ids, uint256 pulls) = _verifyAll(tokens, clearingPrices, executions);
        _pull(executions, pulls);
        _interact(interactions);
        _pay(executions);
        for (uint256 i; i < executions.length; ++i) {
            _checkOutcome(i, clearingPrices, executions, ids[i]);
        }
        _settleOwnBalances(tokens, startBalances);
        _guardAfter(guard);
        emit BatchSettled(msg.sender, executions.length, interactions.length);
    }

    /// @dev `_verify` for every execution; returns their ids and the batch's number of pulls.
    function _verifyAll(address[] calldata tokens, uint256[] calldata clearingPrices, Execution[] calldata executions)
        private
        returns (bytes32[] memory ids, uint256 pulls)
    {
        bytes32 separator = domainSeparator();
        ids = new bytes32[](executions.length);
        for (uint256 i; i < executions.length; ++i) {
            (bytes32 id, uint256 outflows) = _verify(i, separator, tokens, clearingPrices, executions);
            ids[i] = id;
            unchecked {
                pulls += outflows; // at most the calldata's word count
            }
        }
    }

    /// @dev Strictly ascending addresses: one price per token per call.
    function _checkTokens(address[] calldata tokens, uint256[] calldata clearingPrices) private pure {
        if (tokens.length != clearingPrices.length) revert LengthMismatch(tokens.length, clearingPrices.length);
        for (uint256 i = 1; i < tokens.length; ++i) {
            if (tokens[i] <= tokens[i - 1]) revert TokensNotSorted(i);
        }
    }

    /// @dev Shape, signature, validTo, nonce (then marks it used), price bounds. Returns the id
    ///      and how many of the execution's flows are pulls. Every part of the execution the
    ///      later passes read is checked here, so they use `ExecutionCalldata.*Unchecked`.
    function _verify(
        uint256 i,
        bytes32 separator,
        address[] calldata tokens,
        uint256[] calldata prices,
        Execution[] calldata executions
    ) private returns (bytes32 id, uint256 outflows) {
        (uint256 e, uint256 ip) = ExecutionCalldata.at(executions, i);
        outflows = _checkShape(i, tokens, e, ip);
        id = _intentId(separator, ip);
        address owner_ = ExecutionCalldata.addressAt(ip, ExecutionCalldata.OWNER);
        _checkSignature(i, id, owner_, e);
        uint256 validTo = ExecutionCalldata.word(ip, ExecutionCalldata.VALID_TO);
        if (block.timestamp > validTo) revert IntentExpired(i, validTo);
        _useNonce(i, owner_, ExecutionCalldata.word(ip, ExecutionCalldata.NONCE));
        _checkPrices(i, prices, e, ip);
    }

    /// @dev The EIP-712 digest of the intent whose head starts at `ip`.
    function _intentId(bytes32 separator, uint256 ip) private pure returns (bytes32) {
        return IntentHashing.digest(separator, ExecutionCalldata.intentAt(ip));
    }

    /// @dev The execution's signature must be the owner's for `id`.
    function _checkSignature(uint256 i, bytes32 id, address owner_, uint256 e) private view {
        uint8 scheme = ExecutionCalldata.uint8At(e, ExecutionCalldata.SCHEME);
        bytes calldata signature = ExecutionCalldata.bytesAt(e, ExecutionCalldata.SIGNATURE);
        if (!_validSignature(i, id, owner_, scheme, signature)) revert InvalidSignature(i);
    }

    /// @dev A free nonce becomes used; a used or cancelled one refuses the execution.
    function _useNonce(uint256 i, address owner_, uint256 nonce) private {
        mapping(uint256 => NonceState) storage nonces = nonceState[owner_];
        NonceState state = nonces[nonce];
        if (state == NonceState.Used) revert NonceAlreadyUsed(i, owner_, nonce);
        if (state == NonceState.Cancelled) revert NonceCancelled(i, owner_, nonce);
        nonces[nonce] = NonceState.Used;
    }

    /// @dev Every per-token array has one entry per intent token and each priceIndex names that
    ///      token. Returns the number of negative flows (the pulls this execution needs).
    function _checkShape(uint256 i, address[] calldata tokens, uint256 e, uint256 ip)
        private
        pure
        returns (uint256 outflows)
    {
        (uint256 own, uint256 n) = ExecutionCalldata.array(ip, ExecutionCalldata.TOKENS);
        if (!_shapeOk(e, ip, n)) revert MalformedExecution(i);
        uint256 mismatch;
        (outflows, mismatch) = ExecutionCalldata.matchTokens(
            tokens,
            own,
            _start(e, ExecutionCalldata.PRICE_INDEX),
            _start(e, ExecutionCalldata.FLOWS),
            n
        );
        if (mismatch != 0) revert TokenMismatch(i, mismatch - 1);
    }

    /// @dev n >= 2, a known kind, and every array the kind uses holds n entries.
    function _shapeOk(uint256 e, uint256 ip, uint256 n) private pure returns (bool ok) {
        uint256 kind = ExecutionCalldata.uint8At(ip, ExecutionCalldata.KIND);
        ok = n >= 2 && _length(ip, ExecutionCalldata.MIN_PRICE) == n
            && _length(ip, ExecutionCalldata.MAX_PRICE) == n && _length(e, ExecutionCalldata.PRICE_INDEX) == n
            && _length(e, ExecutionCalldata.FLOWS) == n;
        if (kind == KIND_WEIGHTS) {
            ok = ok && _length(ip, ExecutionCalldata.TARGET_WEIGHT_BPS) == n;
        } else if (kind == KIND_BALANCES) {
            ok = ok && _length(ip, ExecutionCalldata.MIN_BALANCE) == n && _length(ip, ExecutionCalldata.MAX_BALANCE) == n;
        } else {
            ok = false;
        }
    }

    function _start(uint256 head, uint256 field) private pure returns (uint256 start) {
        (start,) = ExecutionCalldata.arrayUnchecked(head, field);
    }

    function _length(uint256 head, uint256 field) private pure returns (uint256 length) {
        (, length) = ExecutionCalldata.array(head, field);
    }

    /// @dev EIP-712 by an EOA (65 bytes r‖s‖v) or EIP-1271 by a contract wallet.
    function _validSignature(uint256 i, bytes32 digest, address signer, uint8 scheme, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (scheme == SCHEME_EIP712) {
            if (signature.length != 65) return false;
            address recovered = Signatures.recover(digest, signature);
            return recovered != address(0) && recovered == signer;
        }
        if (scheme == SCHEME_EIP1271) return Signatures.isValidERC1271(signer, digest, signature);
        revert UnknownSigningScheme(i, scheme);
    }

    /// @dev Prices that matter to the user must lie in its signed bounds: every traded token's,
    ///      and for a WEIGHTS intent every token's (they value its outcome). Relative price is
    ///      numeraire base units per token base unit * 1e18, rounded down. The shape is checked.
    function _checkPrices(uint256 i, uint256[] calldata prices, uint256 e, uint256 ip) private pure {
        (uint256 priceIndex, uint256 n) = ExecutionCalldata.arrayUnchecked(e, ExecutionCalldata.PRICE_INDEX);
        (uint256 flows,) = ExecutionCalldata.arrayUnchecked(e, ExecutionCalldata.FLOWS);
        (uint256 minPrice,) = ExecutionCalldata.arrayUnchecked(ip, ExecutionCalldata.MIN_PRICE);
        (uint256 maxPrice,) = ExecutionCalldata.arrayUnchecked(ip, ExecutionCalldata.MAX_PRICE);
        bool allMatter = ExecutionCalldata.word(ip, ExecutionCalldata.KIND) == KIND_WEIGHTS;
        (uint256 miss, uint256 relative) =
            PriceBounds.firstMiss(prices, priceIndex, flows, minPrice, maxPrice, n, allMatter);
        if (miss != 0) revert PriceOutOfBounds(i, miss - 1, relative);
    }

    /// @dev One relayer call pulls every negative flow of the batch into this contract.
    function _pull(Execution[] calldata executions, uint256 pulls) private {
        RelayerCall.pullAll(address(relayer), executions, pulls);
    }

    /// @dev Solver calls (DEX swaps), to owner-listed targets only, never granting an allowance.
    function _interact(Interaction[] calldata interactions) private {
        for (uint256 i; i < interactions.length; ++i) {
            Interaction calldata it = interactions[i];
            address target = it.target;
            if (!isInteractionTarget[target]) revert ForbiddenInteraction(i, target);
            bytes4 selector = it.callData.length >= 4 ? bytes4(it.callData[0:4]) : bytes4(0);
            if (AllowanceSelectors.grants(selector)) revert InteractionGrantsAllowance(i, selector);
            (bool ok, bytes memory reason) = target.call{value: it.value}(it.callData);
            if (!ok) revert InteractionFailed(i, reason);
            emit InteractionExecuted(target, it.value, selector);
        }
    }

    /// @dev Pays every positive flow from this contract to the intent's owner.
    function _pay(Execution[] calldata executions) private {
        for (uint256 i; i < executions.length; ++i) {
            (uint256 e, uint256 ip) = ExecutionCalldata.atUnchecked(executions, i);
            (uint256 flows, uint256 n) = ExecutionCalldata.arrayUnchecked(e, ExecutionCalldata.FLOWS);
            (uint256 own,) = ExecutionCalldata.arrayUnchecked(ip, ExecutionCalldata.TOKENS);
            address owner_ = address(uint160(ExecutionCalldata.word(ip, ExecutionCalldata.OWNER)));
            for (uint256 j; j < n; ++j) {
                int256 flow = int256(ExecutionCalldata.word(flows, j));
                if (flow > 0) address(uint160(ExecutionCalldata.word(own, j))).safeTransfer(owner_, uint256(flow));
            }
        }
    }

    /// @dev The signed outcome on post-batch balances, then value conservation and the fee cap.
    function _checkOutcome(uint256 i, uint256[] calldata clearingPrices, Execution[] calldata executions, bytes32 id)
        private
    {
        (uint256 e, uint256 ip) = ExecutionCalldata.atUnchecked(executions, i);
        (uint256 priceIndex, uint256 n) = ExecutionCalldata.arrayUnchecked(e, ExecutionCalldata.PRICE_INDEX);
        address owner_ = address(uint160(ExecutionCalldata.word(ip, ExecutionCalldata.OWNER)));
        uint256[] memory balances =
            SafeTransfers.balancesOf(ExecutionCalldata.addressesUnchecked(ip, ExecutionCalldata.TOKENS), owner_);
        uint256[] memory prices = ExecutionCalldata.pricesOf(clearingPrices, priceIndex, n);
        uint256 miss = ExecutionCalldata.word(ip, ExecutionCalldata.KIND) == KIND_WEIGHTS
            ? Outcome.firstWeightMiss(
                balances,
                prices,
                ExecutionCalldata.uintsUnchecked(ip, ExecutionCalldata.TARGET_WEIGHT_BPS),
                ExecutionCalldata.word(ip, ExecutionCalldata.TOLERANCE_BPS)
            )
            : Outcome.firstBalanceMiss(
                balances,
                ExecutionCalldata.uintsUnchecked(ip, ExecutionCalldata.MIN_BALANCE),
                ExecutionCalldata.uintsUnchecked(ip, ExecutionCalldata.MAX_BALANCE)
            );
        if (miss != NO_MISS) revert OutcomeNotMet(i, miss);

        (uint256 given, uint256 received) = Outcome.valueOf(ExecutionCalldata.intsUnchecked(e, ExecutionCalldata.FLOWS), prices);
        if (received > given) revert ValueNotConserved(i, given, received);
        uint256 fee = given - received;
        uint256 maxFeeBps = ExecutionCalldata.word(ip, ExecutionCalldata.MAX_FEE_BPS);
        // fee / given <= maxFeeBps / 10000, cross-multiplied so nothing rounds.
        if (fee * Outcome.BPS > maxFeeBps * given) {
            revert FeeAboveMax(i, fee, maxFeeBps * given / Outcome.BPS);
        }
        emit IntentExecuted(
            i, owner_, id, ExecutionCalldata.word(ip, ExecutionCalldata.NONCE), given, received
        );
    }

    function _ownBalances(address[] calldata tokens) private view returns (uint256[] memory balances) {
        balances = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            balances[i] = SafeTransfers.balanceOf(tokens[i], address(this));
        }
    }

    /// @dev The contract ends with no less of any batch token than it started with, and
    ///      exactly as much: what the batch left over goes to the fee recipient.
    function _settleOwnBalances(address[] calldata tokens, uint256[] memory startBalances) private {
        for (uint256 i; i < tokens.length; ++i) {
            address token = tokens[i];
            uint256 afterwards = SafeTransfers.balanceOf(token, address(this));
            uint256 start = startBalances[i];
            if (afterwards < start) revert SettlementLostFunds(token, start, afterwards);
            if (afterwards > start) {
                address recipient = feeRecipient;
                token.safeTransfer(recipient, afterwards - start);
                emit FeePaid(token, recipient, afterwards - start);
            }
        }
    }

    /// @dev What interactions could reach beyond the batch tokens: ether, and the guarded
    ///      tokens (standing allowances) that are not batch tokens. `active` is false for a
    ///      batch without interactions, which can move neither.
    struct Guard {
        bool active;
        uint256 ether_;
        uint256 count;
        address[] tokens;
        uint256[] balances;
    }

    function _guardBefore(address[] calldata tokens, bool active) private view returns (Guard memory guard) {
        if (!active) return guard;
        guard.active = true;
        guard.ether_ = address(this).balance;
        address[] memory guarded = guardedTokens;
        guard.tokens = new address[](guarded.length);
        guard.balances = new uint256[](guarded.length);
        for (uint256 i; i < guarded.length; ++i) {
            if (_isListed(tokens, guarded[i])) continue; // a batch token: checked as one
            guard.tokens[guard.count] = guarded[i];
            guard.balances[guard.count++] = SafeTransfers.balanceOf(guarded[i], address(this));
        }
    }

    function _guardAfter(Guard memory guard) private view {
        if (!guard.active) return;
        if (address(this).balance < guard.ether_) {
            revert SettlementLostFunds(address(0), guard.ether_, address(this).balance);
        }
        for (uint256 i; i < guard.count; ++i) {
            if (guard.balances[i] == 0) continue; // nothing held, nothing to lose
            uint256 afterwards = SafeTransfers.balanceOf(guard.tokens[i], address(this));
            if (afterwards < guard.balances[i]) revert SettlementLostFunds(guard.tokens[i], guard.balances[i], afterwards);
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

    /// @notice Allow (or stop allowing) interactions to call `target`. Owner only.
    /// @dev The relayer, the allow-list and this contract can never be targets.
    /// @param target A DEX router or pool.
    /// @param allowed Whether interactions may call it.
    function setInteractionTarget(address target, bool allowed) external onlyOwner {
        if (target == address(relayer) || target == address(allowList) || target == address(this)) {
            revert TargetNotAllowable(target);
        }
        isInteractionTarget[target] = allowed;
        emit InteractionTargetSet(target, allowed);
    }

    /// @notice Set this contract's allowance of `token` for `spender`. Owner only; the only way
    ///         the contract ever grants an allowance. `token` is guarded from then on.
    /// @param token The ERC-20.
    /// @param spender An allowed interaction target (any spender when revoking with 0).
    /// @param amount The allowance.
    function setAllowance(address token, address spender, uint256 amount) external onlyOwner {
        if (amount != 0 && !isInteractionTarget[spender]) revert SpenderNotATarget(spender);
        if (!_isGuarded[token]) {
            if (guardedTokens.length == MAX_GUARDED_TOKENS) revert TooManyGuardedTokens();
            _isGuarded[token] = true;
            guardedTokens.push(token);
        }
        token.safeApprove(spender, amount);
        emit AllowanceSet(token, spender, amount);
    }

    /// @notice Name who receives what batches leave over. Owner only.
    /// @param recipient The new fee recipient (not the zero address).
    function setFeeRecipient(address recipient) external onlyOwner {
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    /// @notice How many tokens are guarded (see `guardedTokens`).
    /// @return The count.
    function guardedTokenCount() external view returns (uint256) {
        return guardedTokens.length;
    }

    /// @notice The EIP-712 domain separator (recomputed if the chain id changed since deploy).
    /// @return The separator of domain ("keel", "1", this chain, this contract).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _chainIdAtDeploy ? _separatorAtDeploy : IntentHashing.domainSeparator(address(this));
    }

    /// @inheritdoc IBatchSettlement
    function hashIntent(Intent calldata intent) external view returns (bytes32) {
        return IntentHashing.digest(domainSeparator(), intent);
    }

    /// @notice True when `owner_`'s `nonce` can no longer execute (used or cancelled).
    /// @param owner_ The intent owner.
    /// @param nonce The nonce.
    /// @return Whether it is used or cancelled.
    function isNonceSpent(address owner_, uint256 nonce) external view returns (bool) {
        return nonceState[owner_][nonce] != NonceState.Free;
    }
}
