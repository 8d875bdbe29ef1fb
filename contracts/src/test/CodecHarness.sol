// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Intent} from "../interfaces/IBatchSettlement.sol";
import {ExecutionCodec} from "../libraries/ExecutionCodec.sol";
import {IntentHashing} from "../libraries/IntentHashing.sol";

/// @notice What one execution decodes to, as both decoders report it.
struct DecodedView {
    Intent intent;
    uint256[] priceIndex;
    int256[] flows;
    uint256 scheme;
    bytes signature;
    bool oracleGuarded;
    uint256 maxOracleDeviationBps;
    bytes32 structHash;
}

/// @title CodecHarness
/// @notice Test-only: runs `ExecutionCodec` (and `IntentHashing`) on `settle`'s token list
///         and executions straight from calldata, as `settle` does, so a test can compare it
///         with `ReferenceDecoder` on the same (random or mutated) calldata.
contract CodecHarness {
    /// @notice Decode every execution; reverts as `settle`'s decoding would.
    /// @param tokens The batch's tokens (each read once, as `settle`'s sort check reads them).
    /// @param executions The compact executions.
    /// @return decoded One view per execution.
    function decode(address[] calldata tokens, bytes[] calldata executions)
        external
        pure
        returns (DecodedView[] memory decoded)
    {
        for (uint256 k; k < tokens.length; ++k) {
            tokens[k]; // the accessor validates the word, as `settle`'s sort check does
        }
        decoded = new DecodedView[](executions.length);
        ExecutionCodec.Decoded[] memory raw = ExecutionCodec.allocate(executions.length);
        for (uint256 i; i < executions.length; ++i) {
            ExecutionCodec.decodeInto(raw, i, executions[i], tokens);
            ExecutionCodec.Decoded memory d = raw[i];
            bytes32 structHash = d.oracleGuarded
                ? IntentHashing.hashStructGuarded(d.intent, d.maxOracleDeviationBps)
                : IntentHashing.hashStruct(d.intent);
            decoded[i] = DecodedView(
                d.intent,
                d.priceIndex,
                d.flows,
                d.scheme,
                ExecutionCodec.signature(d),
                d.oracleGuarded,
                d.maxOracleDeviationBps,
                structHash
            );
        }
    }
}
