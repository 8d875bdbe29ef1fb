"""contracts.fills: the Python reading of a compact execution is the inverse of its encoding."""

from __future__ import annotations

import pytest

from contracts import fills
from contracts.settlement import SCHEME_EIP712, SCHEME_EIP1271, Execution, encode_execution
from keel.errors import ChainError

OWNER = "0x" + "ab" * 20
T0, T1, T2 = ("0x" + f"{i:02x}" * 20 for i in (1, 2, 3))
MAX = 2**256 - 1


def _execution(kind: int = 1, flows: tuple[int, ...] = (-(10**18), 0, 3 * 10**9), guarded: int | None = None,
               scheme: int = SCHEME_EIP712) -> Execution:
    n = len(flows)
    weights = (5000, 3000, 2000)[:n] if kind == 0 else ()
    lo, hi = ((0,) * n, (MAX,) * n) if kind == 1 else ((), ())
    intent = (OWNER, (T0, T1, T2)[:n], (10**18,) * n, (MAX,) * n, kind, weights, 50 if kind == 0 else 0, lo, hi, 30,
              2**32 - 1, 2**70 + 5)
    return Execution(intent, scheme, b"\x11" * 65, tuple(range(n))[::-1], flows, guarded)


@pytest.mark.parametrize("kind", [0, 1])
@pytest.mark.parametrize("guarded", [None, 25])
def test_should_decode_what_encode_execution_wrote(kind: int, guarded: int | None) -> None:
    execution = _execution(kind=kind, guarded=guarded, scheme=SCHEME_EIP1271)
    decoded = fills.decode_execution(encode_execution(execution))
    assert decoded.owner.lower() == OWNER
    assert (decoded.kind, decoded.scheme, decoded.nonce) == (kind, SCHEME_EIP1271, 2**70 + 5)
    assert decoded.price_index == execution.price_index and decoded.flows == execution.flows


def test_should_decode_the_extreme_flows_of_int256() -> None:
    flows = (-(2**255), 2**255 - 1)
    assert fills.decode_execution(encode_execution(_execution(flows=flows))).flows == flows


def test_should_value_flows_at_the_clearing_prices_exactly() -> None:
    decoded = fills.decode_execution(encode_execution(_execution()))  # price_index (2, 1, 0)
    prices = [7, 11, 13]
    assert fills.value_of(decoded, prices) == (10**18 * 13, 3 * 10**9 * 7)


def test_refuses_a_truncated_execution_naming_it() -> None:
    blob = encode_execution(_execution())
    signature_start = len(blob) - 65
    with pytest.raises(ChainError, match="executions\\[3\\]: the compact execution ends inside a field"):
        fills.decode_execution(blob[:signature_start - 2], "executions[3]")


def test_refuses_a_length_byte_above_32() -> None:
    blob = bytearray(encode_execution(_execution()))
    blob[22] = 40  # validTo's length byte
    with pytest.raises(ChainError, match="length byte 40 above 32"):
        fills.decode_execution(bytes(blob))


def test_refuses_calldata_that_is_not_a_settle_call() -> None:
    with pytest.raises(ChainError, match="not a settle call"):
        fills.decode_settle_input(b"\x12\x34\x56\x78", b"\xaa\xbb\xcc\xdd", ("uint256",))
