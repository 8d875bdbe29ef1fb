"""Differential fuzz of the compact execution decoder: `ExecutionCodec` (what `settle` runs,
through `CodecHarness`) against `ReferenceDecoder` (plain `abi.decode` + a byte-by-byte
reader + `abi.encode` hashing), both on the fork, on the same calldata. Random and mutated
encodings — truncated, bytes flipped, dirty address words, offsets of 2**64 and more,
overlapping elements, int256.min flows — must decode to the same thing or revert in both.
Bounded examples, so it runs in `make test`."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.intent_abi import INTENT_ABI_TYPE
from contracts.settlement import UINT256_MAX, Execution, encode_execution
from tests.integration.settlement.helpers import Env

SELECTOR = keccak(text="decode(address[],bytes[])")[:4]
VIEW_TYPE = f"({INTENT_ABI_TYPE},uint256[],int256[],uint256,bytes,bool,uint256,bytes32)[]"
EXAMPLES = 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

words = st.one_of(st.just(0), st.just(UINT256_MAX), st.integers(0, 2**64), st.integers(0, UINT256_MAX))
flows = st.one_of(st.just(0), st.just(-(2**255)), st.just(2**255 - 1), st.integers(-(2**128), 2**128),
                  st.integers(-(2**255), 2**255 - 1))
addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address("0x" + b.hex()))


@st.composite
def batches(draw: Any) -> tuple[list[str], list[Execution]]:
    """A token list and 1–3 well-formed executions whose indices point into it."""
    tokens = draw(st.lists(addresses, min_size=1, max_size=5))
    executions = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(2, 4))
        kind = draw(st.sampled_from([0, 1]))
        index = tuple(draw(st.lists(st.integers(0, len(tokens) - 1), min_size=n, max_size=n)))
        per_token = st.lists(words, min_size=n, max_size=n)
        weights = tuple(draw(per_token)) if kind == 0 else ()
        bounds = (tuple(draw(per_token)), tuple(draw(per_token))) if kind == 1 else ((), ())
        intent = (draw(addresses), tuple(tokens[k] for k in index), tuple(draw(per_token)), tuple(draw(per_token)),
                  kind, weights, draw(words), bounds[0], bounds[1], draw(words), draw(words), draw(words))
        executions.append(Execution(intent, draw(st.integers(0, 15)), draw(st.binary(max_size=70)), index,
                                    tuple(draw(st.lists(flows, min_size=n, max_size=n))),
                                    draw(st.one_of(st.none(), words))))
    return tokens, executions


def _calldata(tokens: list[str], blobs: list[bytes]) -> bytes:
    return SELECTOR + abi_encode(["address[]", "bytes[]"], [tokens, blobs])


class Decoders:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.harness, self.reference = (str(env.deploy(name).address) for name in ("CodecHarness", "ReferenceDecoder"))

    def _call(self, to: str, data: bytes) -> tuple[bool, bytes]:
        answer = self.env.w3.provider.make_request(
            "eth_call", [{"to": to, "data": "0x" + data.hex(), "gas": hex(30_000_000)}, "latest"])
        if "error" in answer:
            return False, b""
        return True, bytes.fromhex(answer["result"][2:])

    def agree(self, data: bytes) -> tuple[bool, bytes]:
        """Both decoders on `data`: they must both revert or both return the same bytes."""
        ours, theirs = self._call(self.harness, data), self._call(self.reference, data)
        assert ours[0] == theirs[0], f"one decoder reverted, the other did not: 0x{data.hex()}"
        assert ours == theirs, f"the decoders disagree on 0x{data.hex()}"
        return ours


def _expected(execution: Execution) -> tuple[Any, ...]:
    guarded = execution.max_oracle_deviation_bps is not None
    return (execution.intent, execution.price_index, execution.flows, execution.signing_scheme, execution.signature,
            guarded, execution.max_oracle_deviation_bps if guarded else 0)


def test_should_decode_well_formed_executions_as_encoded_and_as_the_reference_does(env: Env) -> None:
    decoders = Decoders(env)

    @FUZZ
    @given(batches())
    def check(batch: tuple[list[str], list[Execution]]) -> None:
        tokens, executions = batch
        ok, out = decoders.agree(_calldata(tokens, [encode_execution(e) for e in executions]))
        assert ok
        views = abi_decode([VIEW_TYPE], out)[0]
        for view, execution in zip(views, executions, strict=True):
            intent = tuple(to_checksum_address(v) if k == 0 else
                           tuple(to_checksum_address(a) for a in v) if k == 1 else
                           tuple(v) if isinstance(v, (list, tuple)) else v for k, v in enumerate(view[0]))
            assert (intent, tuple(view[1]), tuple(view[2]), view[3], view[4], view[5], view[6]) == _expected(execution)

    check()


MUTATIONS = ("truncate", "flip", "insert", "append", "header", "min-flow", "max-flow")
SENTINEL = int.from_bytes(b"\x5a" * 32, "big") >> 2  # a 32-byte flow, unlike any other field


def _mutate(batch: tuple[list[str], list[Execution]], data: Any, how: str) -> bytes:
    """The calldata of `batch` with one execution's bytes mutated as `how` says."""
    tokens, executions = batch
    k = data.draw(st.integers(0, len(executions) - 1))
    if how.endswith("flow"):  # one flow rewritten: int256.min is valid, +2**255 is not
        e = executions[k]
        j = data.draw(st.integers(0, len(e.flows) - 1))
        executions = [*executions]
        executions[k] = Execution(e.intent, e.signing_scheme, e.signature, e.price_index,
                                  (*e.flows[:j], SENTINEL, *e.flows[j + 1:]), e.max_oracle_deviation_bps)
    blobs = [bytearray(encode_execution(e)) for e in executions]
    blob = blobs[k]
    at = data.draw(st.integers(0, len(blob) - 1))
    if how == "truncate":
        del blob[at:]
    elif how == "flip":
        blob[at] = data.draw(st.integers(0, 255))
    elif how == "insert":
        blob.insert(at, data.draw(st.integers(0, 255)))
    elif how == "append":
        blob += data.draw(st.binary(min_size=1, max_size=40))
    elif how == "header":  # a length header above 32 (or 0xff) where any field starts
        blob[at] = data.draw(st.sampled_from([0x21, 0x7f, 0xa1, 0xfe, 0xff, 0x80]))
    else:
        where = bytes(blob).index(b"\x20" + SENTINEL.to_bytes(32, "big"))
        blob[where:where + 33] = (b"\xa0" if how == "min-flow" else b"\x20") + (2**255).to_bytes(32, "big")
    return _calldata(tokens, [bytes(b) for b in blobs])


def test_should_agree_on_mutated_execution_bytes(env: Env) -> None:
    decoders = Decoders(env)

    @FUZZ
    @given(batches(), st.data(), st.sampled_from(MUTATIONS))
    def check(batch: tuple[list[str], list[Execution]], data: Any, how: str) -> None:
        decoders.agree(_mutate(batch, data, how))

    check()


def test_should_take_an_int256_min_flow_and_refuse_plus_2_255_in_both_decoders(env: Env) -> None:
    decoders = Decoders(env)

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(batches(), st.data())
    def check(batch: tuple[list[str], list[Execution]], data: Any) -> None:
        assert decoders.agree(_mutate(batch, data, "min-flow"))[0], "int256.min is a well-formed flow"
        assert not decoders.agree(_mutate(batch, data, "max-flow"))[0], "+2**255 is outside int256"

    check()


def test_should_agree_on_mutated_abi_words(env: Env) -> None:
    decoders = Decoders(env)

    @FUZZ
    @given(batches(), st.data())
    def check(batch: tuple[list[str], list[Execution]], data: Any) -> None:
        tokens, executions = batch
        raw = bytearray(_calldata(tokens, [encode_execution(e) for e in executions]))
        word = lambda i: 4 + 32 * i  # noqa: E731 - byte offset of head word i
        executions_at = word(0) + int.from_bytes(raw[word(1):word(1) + 32], "big")  # the bytes[] length word
        how = data.draw(st.sampled_from(["dirty-token", "big-offset", "big-element-offset", "overlap", "truncate",
                                         "random-word", "big-length"]))
        if how == "dirty-token":  # a token word with bits above 160 set
            k = data.draw(st.integers(0, len(tokens) - 1))
            raw[word(3 + k)] = data.draw(st.integers(1, 255))
        elif how == "big-offset":  # the executions offset at 2**64 or more
            raw[word(1):word(1) + 32] = data.draw(st.integers(2**64, UINT256_MAX)).to_bytes(32, "big")
        elif how == "big-element-offset":
            k = data.draw(st.integers(0, len(executions) - 1))
            at = executions_at + 32 + 32 * k
            raw[at:at + 32] = data.draw(st.integers(2**64, UINT256_MAX)).to_bytes(32, "big")
        elif how == "overlap":  # two elements share (or straddle) one blob
            k = data.draw(st.integers(0, len(executions) - 1))
            at = executions_at + 32 + 32 * k
            first = int.from_bytes(raw[executions_at + 32:executions_at + 64], "big")
            raw[at:at + 32] = (first + data.draw(st.integers(0, 40))).to_bytes(32, "big")
        elif how == "truncate":
            del raw[data.draw(st.integers(4, len(raw) - 1)):]
        elif how == "random-word":
            i = data.draw(st.integers(0, (len(raw) - 4) // 32 - 1))
            raw[word(i):word(i) + 32] = data.draw(words).to_bytes(32, "big")
        else:  # an element's length word far past the calldata
            k = data.draw(st.integers(0, len(executions) - 1))
            at = executions_at + 32 + int.from_bytes(raw[executions_at + 32 + 32 * k:executions_at + 64 + 32 * k], "big")
            raw[at:at + 32] = data.draw(st.integers(len(raw), 2**70)).to_bytes(32, "big")
        decoders.agree(bytes(raw))

    check()
