"""Interactions for a route: approve exactly what each hop spends, swap with the exact minimum."""

from __future__ import annotations

import pytest
from eth_abi import decode
from eth_utils import keccak

from routing.errors import RoutingError
from routing.evaluate import Hop
from routing.execute import interactions

A, B, C = ("0x" + c * 40 for c in "abc")
V2R, V3R, ME = "0x" + "12" * 20, "0x" + "34" * 20, "0x" + "56" * 20
HOPS = [Hop("0x" + "01" * 20, "v3", 500, A, B, 1000, 2000), Hop("0x" + "02" * 20, "v2", 3000, B, C, 2000, 3999)]


def test_should_approve_then_swap_each_hop_with_its_exact_amounts() -> None:
    ix = interactions(HOPS, {"v2": V2R, "v3": V3R}, ME, deadline_s=123)
    assert [i.target for i in ix] == [A, V3R, B, V2R]
    assert ix[0].call_data[:4] == keccak(text="approve(address,uint256)")[:4]
    assert decode(["address", "uint256"], ix[0].call_data[4:]) == (V3R, 1000)
    (params,) = decode(["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], ix[1].call_data[4:])
    assert params == (A, B, 500, ME, 123, 1000, 2000, 0)
    amount_in, min_out, path, to, deadline = decode(
        ["uint256", "uint256", "address[]", "address", "uint256"], ix[3].call_data[4:])
    assert (amount_in, min_out, list(path), to, deadline) == (2000, 3999, [B, C], ME, 123)
    assert all(i.value_wei == 0 for i in ix)


def test_rejects_a_hop_without_a_router() -> None:
    with pytest.raises(RoutingError, match="no router") as err:
        interactions(HOPS, {"v3": V3R}, ME)
    assert err.value.field == "routers"
