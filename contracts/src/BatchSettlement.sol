// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchSettlement, Intent, Execution, Interaction} from "./interfaces/IBatchSettlement.sol";
import {IERC1271} from "./interfaces/IERC1271.sol";
import {ISolverAllowList} from "./interfaces/ISolverAllowList.sol";
import {IntentHashing} from "./libraries/IntentHashing.sol";
import {Outcome} from "./libraries/Outcome.sol";
import {ExecutionCalldata} from "./libraries/ExecutionCalldata.sol";
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

        bytes32 separator = domainSeparator();
        bytes32[] memory ids = new bytes32[](executions.length);
        uint256 pulls;
        for (uint256 i; i < executions.length; ++i) {
            (bytes32 id, uint256 outflows) = _verify(i, separator, tokens, clearingPrices, executions);
            ids[i] = id;
            unchecked {
                pulls += outflows; // at most the calldata's word count
            }
        }
        _pull(executions, pulls);
        _interact(interactions);
        _pay(executions);
        for (uint256 i; i < executions.length; ++i) {
            _checkOutcome(i, clearingPrices, executions, ids[i]);
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

    /// @dev Shape, signature, validTo, nonce (then marks it used), price bounds. Returns the id
    ///      and how many of the execution's flows are pulls. Every part of the execution the
    ///      later passes read is checked here, so they use `ExecutionCalldata.*Checked`.
    function _verify(
        uint256 i,
        bytes32 separator,
        address[] calldata tokens,
        uint256[] calldata prices,
        Execution[] calldata executions
    ) private returns (bytes32 id, uint256 outflows) {
        (uint256 e, uint256 ip) = ExecutionCalldata.at(executions, i);
        outflows = _checkShape(i, tokens, e, ip);
        Intent calldata intent;
        assembly ("memory-safe") {
            intent := ip
        }
        id = IntentHashing.digest(separator, intent);
        address owner_ = ExecutionCalldata.addressAt(ip, ExecutionCalldata.OWNER);
        uint8 scheme = ExecutionCalldata.uint8At(e, ExecutionCalldata.SCHEME);
        bytes calldata signature = ExecutionCalldata.bytesAt(e, ExecutionCalldata.SIGNATURE);
        if (!_validSignature(i, id, owner_, scheme, signature)) revert InvalidSignature(i);
        uint256 validTo = ExecutionCalldata.word(ip, ExecutionCalldata.VALID_TO);
        if (block.timestamp > validTo) revert IntentExpired(i, validTo);
        uint256 nonce = ExecutionCalldata.word(ip, ExecutionCalldata.NONCE);
        mapping(uint256 => NonceState) storage nonces = nonceState[owner_];
        NonceState state = nonces[nonce];
        if (state == NonceState.Used) revert NonceAlreadyUsed(i, owner_, nonce);
        if (state == NonceState.Cancelled) revert NonceCancelled(i, owner_, nonce);
        nonces[nonce] = NonceState.Used;
        _checkPrices(i, prices, e, ip);
    }

    /// @dev Every per-token array has one entry per intent token and each priceIndex names that
    ///      token. Returns the number of negative flows (the pulls this execution needs).
    function _checkShape(uint256 i, address[] calldata tokens, uint256 e, uint256 ip)
        private
        pure
        returns (uint256 outflows)
    {
        (uint256 own, uint256 n) = ExecutionCalldata.array(ip, ExecutionCalldata.TOKENS);
        uint256 kind = ExecutionCalldata.uint8At(ip, ExecutionCalldata.KIND);
        bool ok = n >= 2 && _length(ip, ExecutionCalldata.MIN_PRICE) == n
            && _length(ip, ExecutionCalldata.MAX_PRICE) == n && _length(e, ExecutionCalldata.PRICE_INDEX) == n
            && _length(e, ExecutionCalldata.FLOWS) == n;
        if (kind == KIND_WEIGHTS) {
            ok = ok && _length(ip, ExecutionCalldata.TARGET_WEIGHT_BPS) == n;
        } else if (kind == KIND_BALANCES) {
            ok = ok && _length(ip, ExecutionCalldata.MIN_BALANCE) == n && _length(ip, ExecutionCalldata.MAX_BALANCE) == n;
        } else {
            ok = false;
        }
        if (!ok) revert MalformedExecution(i);
        (uint256 priceIndex,) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.PRICE_INDEX);
        (uint256 flows,) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.FLOWS);
        uint256 mismatch; // 1 + the first token that names another batch token, or 0
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let at := shl(5, j)
                let token := calldataload(add(own, at))
                if shr(160, token) { revert(0, 0) } // a dirty address word, as the decoder refuses
                let k := calldataload(add(priceIndex, at))
                if or(iszero(lt(k, tokens.length)), iszero(eq(calldataload(add(tokens.offset, shl(5, k))), token))) {
                    mismatch := add(j, 1)
                    break
                }
                outflows := add(outflows, slt(calldataload(add(flows, at)), 0))
            }
        }
        if (mismatch != 0) revert TokenMismatch(i, mismatch - 1);
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
            address recovered;
            assembly ("memory-safe") {
                // ecrecover(digest, v, r, s) by hand: the precompile answers nothing for a bad signature
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), byte(0, calldataload(add(signature.offset, 0x40))))
                calldatacopy(add(m, 0x40), signature.offset, 0x40)
                mstore(0x00, 0)
                if iszero(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20)) { revert(0, 0) }
                recovered := mload(0x00)
            }
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
    ///      numeraire base units per token base unit * 1e18, rounded down. The shape is checked.
    function _checkPrices(uint256 i, uint256[] calldata prices, uint256 e, uint256 ip) private pure {
        (uint256 priceIndex, uint256 n) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.PRICE_INDEX);
        (uint256 flows,) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.FLOWS);
        (uint256 minPrice,) = ExecutionCalldata.arrayChecked(ip, ExecutionCalldata.MIN_PRICE);
        (uint256 maxPrice,) = ExecutionCalldata.arrayChecked(ip, ExecutionCalldata.MAX_PRICE);
        uint256 numerairePrice;
        assembly ("memory-safe") {
            numerairePrice := calldataload(add(prices.offset, shl(5, calldataload(priceIndex))))
        }
        if (numerairePrice == 0) revert PriceOutOfBounds(i, 0, 0);
        bool allMatter = ExecutionCalldata.word(ip, ExecutionCalldata.KIND) == KIND_WEIGHTS;
        uint256 miss; // 1 + the first token priced outside its bounds, or 0
        uint256 relative;
        bool overflow;
        assembly ("memory-safe") {
            for { let j := 1 } lt(j, n) { j := add(j, 1) } {
                let at := shl(5, j)
                if or(allMatter, calldataload(add(flows, at))) {
                    let price := calldataload(add(prices.offset, shl(5, calldataload(add(priceIndex, at)))))
                    let scaled := mul(price, PRICE_SCALE)
                    if iszero(eq(div(scaled, PRICE_SCALE), price)) {
                        overflow := 1
                        break
                    }
                    relative := div(scaled, numerairePrice)
                    if or(lt(relative, calldataload(add(minPrice, at))), gt(relative, calldataload(add(maxPrice, at)))) {
                        miss := add(j, 1)
                        break
                    }
                }
            }
        }
        if (overflow) {
            assembly ("memory-safe") {
                mstore(0x00, shl(224, 0x4e487b71)) // Panic(0x11), as `price * PRICE_SCALE` checked did
                mstore(0x04, 0x11)
                revert(0x00, 0x24)
            }
        }
        if (miss != 0) revert PriceOutOfBounds(i, miss - 1, relative);
    }

    /// @dev One relayer call pulls every negative flow of the batch into this contract. The
    ///      call's calldata (`transferIn(Transfer[])`) is written by hand past the free memory
    ///      pointer: `pulls` entries of (token, owner, -flow), in execution then token order.
    function _pull(Execution[] calldata executions, uint256 pulls) private {
        if (pulls == 0) return;
        uint256 buffer;
        uint256 cursor;
        bytes4 selector = Relayer.transferIn.selector;
        assembly ("memory-safe") {
            buffer := mload(0x40)
            mstore(buffer, selector)
            mstore(add(buffer, 0x04), 0x20)
            mstore(add(buffer, 0x24), pulls)
            cursor := add(buffer, 0x44)
        }
        for (uint256 i; i < executions.length; ++i) {
            (uint256 e, uint256 ip) = ExecutionCalldata.atChecked(executions, i);
            (uint256 flows, uint256 n) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.FLOWS);
            (uint256 own,) = ExecutionCalldata.arrayChecked(ip, ExecutionCalldata.TOKENS);
            uint256 owner_ = ExecutionCalldata.word(ip, ExecutionCalldata.OWNER);
            bool overflow;
            assembly ("memory-safe") {
                for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                    let flow := calldataload(add(flows, shl(5, j)))
                    if slt(flow, 0) {
                        // -flow overflows for type(int256).min: Panic(0x11), as checked negation did
                        if eq(flow, shl(255, 1)) {
                            overflow := 1
                            break
                        }
                        mstore(cursor, calldataload(add(own, shl(5, j))))
                        mstore(add(cursor, 0x20), owner_)
                        mstore(add(cursor, 0x40), sub(0, flow))
                        cursor := add(cursor, 0x60)
                    }
                }
                if overflow {
                    mstore(0x00, shl(224, 0x4e487b71))
                    mstore(0x04, 0x11)
                    revert(0x00, 0x24)
                }
            }
        }
        address target = address(relayer);
        assembly ("memory-safe") {
            if iszero(call(gas(), target, 0, buffer, sub(cursor, buffer), 0, 0)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
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
            (uint256 e, uint256 ip) = ExecutionCalldata.atChecked(executions, i);
            (uint256 flows, uint256 n) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.FLOWS);
            (uint256 own,) = ExecutionCalldata.arrayChecked(ip, ExecutionCalldata.TOKENS);
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
        (uint256 e, uint256 ip) = ExecutionCalldata.atChecked(executions, i);
        (uint256 own, uint256 n) = ExecutionCalldata.arrayChecked(ip, ExecutionCalldata.TOKENS);
        (uint256 priceIndex,) = ExecutionCalldata.arrayChecked(e, ExecutionCalldata.PRICE_INDEX);
        uint256 owner_ = ExecutionCalldata.word(ip, ExecutionCalldata.OWNER);
        uint256[] memory balances = new uint256[](n);
        uint256[] memory prices = new uint256[](n);
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let at := shl(5, j)
                // token.balanceOf(owner), as a high-level call: a revert re-thrown, a short answer refused
                mstore(0x00, shl(224, 0x70a08231))
                mstore(0x04, owner_)
                if iszero(staticcall(gas(), calldataload(add(own, at)), 0x00, 0x24, 0x00, 0x20)) {
                    let m := mload(0x40)
                    returndatacopy(m, 0, returndatasize())
                    revert(m, returndatasize())
                }
                if lt(returndatasize(), 0x20) { revert(0, 0) }
                mstore(add(add(balances, 0x20), at), mload(0x00))
                mstore(add(add(prices, 0x20), at), calldataload(add(clearingPrices.offset, shl(5, calldataload(add(priceIndex, at))))))
            }
        }
        uint256 miss = ExecutionCalldata.word(ip, ExecutionCalldata.KIND) == KIND_WEIGHTS
            ? Outcome.firstWeightMiss(
                balances,
                prices,
                _uintsChecked(ip, ExecutionCalldata.TARGET_WEIGHT_BPS),
                ExecutionCalldata.word(ip, ExecutionCalldata.TOLERANCE_BPS)
            )
            : Outcome.firstBalanceMiss(
                balances,
                _uintsChecked(ip, ExecutionCalldata.MIN_BALANCE),
                _uintsChecked(ip, ExecutionCalldata.MAX_BALANCE)
            );
        if (miss != NO_MISS) revert OutcomeNotMet(i, miss);

        (uint256 given, uint256 received) = Outcome.valueOf(_intsChecked(e, ExecutionCalldata.FLOWS), prices);
        if (received > given) revert ValueNotConserved(i, given, received);
        uint256 fee = given - received;
        uint256 maxFeeBps = ExecutionCalldata.word(ip, ExecutionCalldata.MAX_FEE_BPS);
        // fee / given <= maxFeeBps / 10000, cross-multiplied so nothing rounds.
        if (fee * Outcome.BPS > maxFeeBps * given) {
            revert FeeAboveMax(i, fee, maxFeeBps * given / Outcome.BPS);
        }
        emit IntentExecuted(
            i, address(uint160(owner_)), id, ExecutionCalldata.word(ip, ExecutionCalldata.NONCE), given, received
        );
    }

    function _uintsChecked(uint256 head, uint256 field) private pure returns (uint256[] calldata a) {
        (uint256 start, uint256 length) = ExecutionCalldata.arrayChecked(head, field);
        assembly ("memory-safe") {
            a.offset := start
            a.length := length
        }
    }

    function _intsChecked(uint256 head, uint256 field) private pure returns (int256[] calldata a) {
        (uint256 start, uint256 length) = ExecutionCalldata.arrayChecked(head, field);
        assembly ("memory-safe") {
            a.offset := start
            a.length := length
        }
    }

    /// @dev `token.balanceOf(account)` as a high-level call would do it (a revert re-thrown, a
    ///      short answer refused), encoded in scratch space instead of allocated memory.
    function _balanceOf(address token, address account) private view returns (uint256 amount) {
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x70a08231))
            mstore(0x04, account)
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            amount := mload(0x00)
        }
    }

    function _ownBalances(address[] calldata tokens) private view returns (uint256[] memory balances) {
        balances = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            balances[i] = _balanceOf(tokens[i], address(this));
        }
    }

    /// @dev The contract ends with no less of any batch token than it started with.
    function _checkOwnBalances(address[] calldata tokens, uint256[] memory startBalances) private view {
        for (uint256 i; i < tokens.length; ++i) {
            uint256 afterwards = _balanceOf(tokens[i], address(this));
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
