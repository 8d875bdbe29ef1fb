// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A Chainlink-style aggregator's latest round.
interface IPriceFeed {
    /// @notice (roundId, answer, startedAt, updatedAt, answeredInRound) of the latest round.
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/// @notice What the settlement knows of one token's feed (set by its owner).
/// @dev `scale` is 10**tokenDecimals: the feed prices a whole token, clearing prices a base unit.
struct FeedConfig {
    address feed;
    uint32 heartbeatS;
    uint64 scale;
}

/// @title OracleBounds
/// @notice How far a clearing price lies from the oracle: the price of a token in the intent's
///         numeraire implied by the batch (`p_j / p_0`, per base unit) against the one implied by
///         the two tokens' USD feeds (`(F_j / 10**d_j) / (F_0 / 10**d_0)`), in bps of the feed's,
///         compared by cross-multiplication with 512-bit products (nothing rounds, nothing
///         overflows): within `maxBps` iff |p_j·F_0·10**d_j − p_0·F_j·10**d_0|·10000 ≤
///         maxBps · p_0·F_j·10**d_0.
library OracleBounds {
    /// @notice A feed's latest answer, refused when non-positive or older than its heartbeat.
    /// @param config The token's feed configuration.
    /// @return answer The USD price of a whole token, in the feed's decimals.
    /// @return fresh False when the answer is stale or not positive.
    function read(FeedConfig memory config) internal view returns (uint256 answer, bool fresh) {
        (, int256 value,, uint256 updatedAt,) = IPriceFeed(config.feed).latestRoundData();
        // an answer of 2**64 or more (1.8e11 USD at 8 decimals) is no price: refused like a stale one
        fresh = value > 0 && value < 2 ** 64 && updatedAt <= block.timestamp
            && block.timestamp - updatedAt <= config.heartbeatS;
        answer = fresh ? uint256(value) : 0;
    }

    /// @notice Whether clearing prices `pj` (token) and `p0` (numeraire) lie within `maxBps` of
    ///         the feeds' `fj`, `f0` (both feeds on the same decimals), the tokens' base units
    ///         being `scaleJ` and `scale0`.
    /// @dev Exact for `fj, f0, scaleJ, scale0 < 2**64` (`read` and `FeedConfig` guarantee it) and
    ///      `maxBps < 2**64`; a larger `maxBps` bounds nothing.
    /// @return inside True when the deviation is at most `maxBps`.
    function within(uint256 pj, uint256 p0, uint256 fj, uint256 f0, uint256 scaleJ, uint256 scale0, uint256 maxBps)
        internal
        pure
        returns (bool inside)
    {
        if (maxBps >= 2 ** 64) return true;
        // a = pj·f0·scaleJ (the batch's side), b = p0·fj·scale0 (the oracle's side); f·scale < 2**128
        (uint256 aHi, uint256 aLo) = _mul(pj, f0 * scaleJ);
        (uint256 bHi, uint256 bLo) = _mul(p0, fj * scale0);
        (uint256 dHi, uint256 dLo) = _lessThan(aHi, aLo, bHi, bLo) ? _sub(bHi, bLo, aHi, aLo) : _sub(aHi, aLo, bHi, bLo);
        // |a − b|·10000 ≤ maxBps·b, with both sides as 512-bit products of a 512-bit and a small number
        (uint256 lHi, uint256 lLo) = _mulWide(dHi, dLo, 10_000);
        (uint256 rHi, uint256 rLo) = _mulWide(bHi, bLo, maxBps);
        inside = !_lessThan(rHi, rLo, lHi, lLo);
    }

    function _mul(uint256 a, uint256 b) private pure returns (uint256 hi, uint256 lo) {
        assembly ("memory-safe") {
            let mm := mulmod(a, b, not(0))
            lo := mul(a, b)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    /// @dev (hi, lo)·k for k < 2**64; the high word saturates at 2**256 − 1 (a deviation that
    ///      large is outside any bound, so saturating keeps the comparison's answer).
    function _mulWide(uint256 hi, uint256 lo, uint256 k) private pure returns (uint256, uint256) {
        (uint256 carry, uint256 low) = _mul(lo, k);
        (uint256 hiHi, uint256 hiLo) = _mul(hi, k);
        uint256 high = hiLo + carry;
        if (hiHi != 0 || high < carry) return (type(uint256).max, type(uint256).max);
        return (high, low);
    }

    function _sub(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) private pure returns (uint256, uint256) {
        unchecked {
            return (aHi - bHi - (aLo < bLo ? 1 : 0), aLo - bLo);
        }
    }

    function _lessThan(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) private pure returns (bool) {
        return aHi < bHi || (aHi == bHi && aLo < bLo);
    }
}
