// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchSettlement, Intent, Execution, Interaction} from "./interfaces/IBatchSettlement.sol";
import {IERC1271} from "./interfaces/IERC1271.sol";
import {IERC20Minimal} from "./interfaces/IERC20Minimal.sol";
import {ISolverAllowList} from "./interfaces/ISolverAllowList.sol";
import {IntentHashing} from "./libraries/IntentHashing.sol";
import {Outcome} from "./libraries/Outcome.sol";
import {SafeTransfers} from "./libraries/SafeTransfers.sol";
import {Relayer} from "./Relayer.sol";

/// @title BatchSettlement
/// @notice Settles a batch of signed risk outcomes at one clearing price per token.
/// @dev Learned from CoW Protocol's GPv2Settlement (relayer holding approvals, allow-listed
///      solvers, interactions that may not touch the relayer) but checks what users signed,
///      an outcome, instead of a limit order, and enforces uniform prices on-chain: `tokens`
///      must be strictly ascending, so each token has exactly one price per call.
///      Order of checks (docs/interfaces.md): verify every execution, pull, interact, pay,
///      then every outcome and value conservation, then the contract's own balances.
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
    uint256 internal constant PRICE_SCALE = 1e18;
    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e;
    uint256 internal constant NO_MISS = type(uint256).max;

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

    uint256 private transient _entered;

    /// @param allowList_ The solver allow-list.
    /// @param owner_ The account that may pause settlement.
    constructor(ISolverAllowList allowList_, address owner_) {
        allowList = allowList_;
        owner = owner_;
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

        bytes32[] memory ids = new bytes32[](executions.length);
        for (uint256 i; i < executions.length; ++i) {
            ids[i] = _verify(i, tokens, clearingPrices, executions[i]);
        }
        _pull(executions);
        _interact(interactions);
        _pay(executions);
        for (uint256 i; i < executions.length; ++i) {
            _checkOutcome(i, clearingPrices, executions[i], ids[i]);
        }
        _checkOwnBalances(tokens, startBalances);
        emit BatchSettled(msg.sender, executions.length, interactions.length);
    }

    /// @dev Strictly ascending addresses: one price per token per call.
    function _checkTokens(address[] calldata tokens, uint256[] calldata clearingPrices) private pure {
        if (tokens.length != clearingPrices.length) revert LengthMismatch(tokens.length, clearingPrices.length);
        for (uint256 i = 1; i < tokens.length; ++i) {
            if (tokens[i] <= tokens[i - 1]) revert TokensNotSorted(i);
        }
    }

    /// @dev Shape, signature, validTo, nonce (then marks it used), price bounds. Returns the id.
    function _verify(uint256 i, address[] calldata tokens, uint256[] calldata prices, Execution calldata e)
        private
        returns (bytes32 id)
    {
        Intent calldata intent = e.intent;
        _checkShape(i, tokens, e);
        id = IntentHashing.digest(domainSeparator(), intent);
        address owner_ = intent.owner;
        uint256 nonce = intent.nonce;
        if (!_validSignature(i, id, owner_, e.signingScheme, e.signature)) revert InvalidSignature(i);
        if (block.timestamp > intent.validTo) revert IntentExpired(i, intent.validTo);
        mapping(uint256 => NonceState) storage nonces = nonceState[owner_];
        NonceState state = nonces[nonce];
        if (state == NonceState.Used) revert NonceAlreadyUsed(i, owner_, nonce);
        if (state == NonceState.Cancelled) revert NonceCancelled(i, owner_, nonce);
        nonces[nonce] = NonceState.Used;
        _checkPrices(i, prices, e);
    }

    /// @dev Every per-token array has one entry per intent token and each priceIndex names that token.
    function _checkShape(uint256 i, address[] calldata tokens, Execution calldata e) private pure {
        Intent calldata intent = e.intent;
        uint256 n = intent.tokens.length;
        bool ok = n >= 2 && intent.minPrice.length == n && intent.maxPrice.length == n
            && e.priceIndex.length == n && e.flows.length == n;
        if (intent.kind == KIND_WEIGHTS) ok = ok && intent.targetWeightBps.length == n;
        else if (intent.kind == KIND_BALANCES) ok = ok && intent.minBalance.length == n && intent.maxBalance.length == n;
        else ok = false;
        if (!ok) revert MalformedExecution(i);
        uint256[] calldata priceIndex = e.priceIndex;
        address[] calldata own = intent.tokens;
        for (uint256 j; j < n; ++j) {
            uint256 k = priceIndex[j];
            if (k >= tokens.length || tokens[k] != own[j]) revert TokenMismatch(i, j);
        }
    }

    /// @dev EIP-712 by an EOA (65 bytes r‖s‖v) or EIP-1271 by a contract wallet.
    function _validSignature(uint256 i, bytes32 digest, address signer, uint8 scheme, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (scheme == SCHEME_EIP712) {
            if (signature.length != 65) return false;
            bytes32 r = bytes32(signature[0:32]);
            bytes32 s = bytes32(signature[32:64]);
            uint8 v = uint8(signature[64]);
            address recovered = ecrecover(digest, v, r, s);
            return recovered != address(0) && recovered == signer;
        }
        if (scheme == SCHEME_EIP1271) {
            if (signer.code.length == 0) return false;
            (bool ok, bytes memory ret) =
                signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
            return ok && ret.length >= 32 && bytes4(abi.decode(ret, (bytes32))) == EIP1271_MAGIC;
        }
        revert UnknownSigningScheme(i, scheme);
    }

    /// @dev Prices that matter to the user must lie in its signed bounds: every traded token's,
    ///      and for a WEIGHTS intent every token's (they value its outcome). Relative price is
    ///      numeraire base units per token base unit * 1e18, rounded down.
    function _checkPrices(uint256 i, uint256[] calldata prices, Execution calldata e) private pure {
        Intent calldata intent = e.intent;
        uint256[] calldata priceIndex = e.priceIndex;
        int256[] calldata flows = e.flows;
        uint256[] calldata minPrice = intent.minPrice;
        uint256[] calldata maxPrice = intent.maxPrice;
        uint256 numerairePrice = prices[priceIndex[0]];
        if (numerairePrice == 0) revert PriceOutOfBounds(i, 0, 0);
        bool allMatter = intent.kind == KIND_WEIGHTS;
        for (uint256 j = 1; j < flows.length; ++j) {
            if (!allMatter && flows[j] == 0) continue;
            uint256 relative = prices[priceIndex[j]] * PRICE_SCALE / numerairePrice;
            if (relative < minPrice[j] || relative > maxPrice[j]) revert PriceOutOfBounds(i, j, relative);
        }
    }

    /// @dev One relayer call pulls every negative flow of the batch into this contract.
    function _pull(Execution[] calldata executions) private {
        uint256 count;
        for (uint256 i; i < executions.length; ++i) {
            int256[] calldata flows = executions[i].flows;
            for (uint256 j; j < flows.length; ++j) {
                if (flows[j] < 0) ++count;
            }
        }
        if (count == 0) return;
        Relayer.Transfer[] memory transfers = new Relayer.Transfer[](count);
        uint256 k;
        for (uint256 i; i < executions.length; ++i) {
            Execution calldata e = executions[i];
            int256[] calldata flows = e.flows;
            address[] calldata tokens = e.intent.tokens;
            address owner_ = e.intent.owner;
            for (uint256 j; j < flows.length; ++j) {
                int256 flow = flows[j];
                if (flow < 0) transfers[k++] = Relayer.Transfer(tokens[j], owner_, uint256(-flow));
            }
        }
        relayer.transferIn(transfers);
    }

    /// @dev Solver calls (DEX swaps). The relayer is off limits: it holds user approvals.
    function _interact(Interaction[] calldata interactions) private {
        for (uint256 i; i < interactions.length; ++i) {
            Interaction calldata it = interactions[i];
            if (it.target == address(relayer)) revert ForbiddenInteraction(i, it.target);
            (bool ok, bytes memory reason) = it.target.call{value: it.value}(it.callData);
            if (!ok) revert InteractionFailed(i, reason);
            emit InteractionExecuted(it.target, it.value, it.callData.length >= 4 ? bytes4(it.callData[0:4]) : bytes4(0));
        }
    }

    /// @dev Pays every positive flow from this contract to the intent's owner.
    function _pay(Execution[] calldata executions) private {
        for (uint256 i; i < executions.length; ++i) {
            Execution calldata e = executions[i];
            int256[] calldata flows = e.flows;
            address[] calldata tokens = e.intent.tokens;
            address owner_ = e.intent.owner;
            for (uint256 j; j < flows.length; ++j) {
                int256 flow = flows[j];
                if (flow > 0) tokens[j].safeTransfer(owner_, uint256(flow));
            }
        }
    }

    /// @dev The signed outcome on post-batch balances, then value conservation and the fee cap.
    function _checkOutcome(uint256 i, uint256[] calldata clearingPrices, Execution calldata e, bytes32 id) private {
        Intent calldata intent = e.intent;
        address[] calldata tokens = intent.tokens;
        uint256[] calldata priceIndex = e.priceIndex;
        address owner_ = intent.owner;
        uint256 n = tokens.length;
        uint256[] memory balances = new uint256[](n);
        uint256[] memory prices = new uint256[](n);
        for (uint256 j; j < n; ++j) {
            balances[j] = IERC20Minimal(tokens[j]).balanceOf(owner_);
            prices[j] = clearingPrices[priceIndex[j]];
        }
        uint256 miss = intent.kind == KIND_WEIGHTS
            ? Outcome.firstWeightMiss(balances, prices, intent.targetWeightBps, intent.toleranceBps)
            : Outcome.firstBalanceMiss(balances, intent.minBalance, intent.maxBalance);
        if (miss != NO_MISS) revert OutcomeNotMet(i, miss);

        (uint256 given, uint256 received) = Outcome.valueOf(e.flows, prices);
        if (received > given) revert ValueNotConserved(i, given, received);
        uint256 fee = given - received;
        // fee / given <= maxFeeBps / 10000, cross-multiplied so nothing rounds.
        if (fee * Outcome.BPS > intent.maxFeeBps * given) {
            revert FeeAboveMax(i, fee, intent.maxFeeBps * given / Outcome.BPS);
        }
        emit IntentExecuted(i, intent.owner, id, intent.nonce, given, received);
    }

    function _ownBalances(address[] calldata tokens) private view returns (uint256[] memory balances) {
        balances = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            balances[i] = IERC20Minimal(tokens[i]).balanceOf(address(this));
        }
    }

    /// @dev The contract ends with no less of any batch token than it started with.
    function _checkOwnBalances(address[] calldata tokens, uint256[] memory startBalances) private view {
        for (uint256 i; i < tokens.length; ++i) {
            uint256 afterwards = IERC20Minimal(tokens[i]).balanceOf(address(this));
            if (afterwards < startBalances[i]) revert SettlementLostFunds(tokens[i], startBalances[i], afterwards);
        }
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

    /// @notice The EIP-712 domain separator (recomputed if the chain id changed since deploy).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _chainIdAtDeploy ? _separatorAtDeploy : IntentHashing.domainSeparator(address(this));
    }

    /// @inheritdoc IBatchSettlement
    function hashIntent(Intent calldata intent) external view returns (bytes32) {
        return IntentHashing.digest(domainSeparator(), intent);
    }

    /// @notice True when `owner_`'s `nonce` can no longer execute (used or cancelled).
    function isNonceSpent(address owner_, uint256 nonce) external view returns (bool) {
        return nonceState[owner_][nonce] != NonceState.Free;
    }
}
