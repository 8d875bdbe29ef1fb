"""Submit: the chain's part of a round — simulate each verified solution, have the best one
sent by its own node, and wait for the receipt.

- `simulate_all(w3, auction, verified)`: each solution's exact settle() calldata (or
  `Refused` as `unencodable`), run by eth_estimateGas from its node's account at the
  auction's block; `arbitrate` turns each answer into `Simulated` or `Refused`.
- `settle_best(w3, auction, ranked, ...)`: best first, ask the node to send exactly the
  simulated calldata (`POST /settle`), wait for the receipt. The first one that mines with
  status 1 is `Settled` and every other ranked solution `Lost`; one whose node refuses or
  cannot send, or whose transaction reverts or has no receipt in time, is `Refused`
  (verdict `failed`) and the next is tried — re-simulated on the latest state first, since
  a failed attempt may have moved the chain. `on_sent` hears each sent transaction hash
  before its receipt is awaited (the round records it, so a crash leaves a hash to reconcile).

Gas sent: the simulated gas × 5/4 + 50,000 (`limits.gas_limit`), capped at what one
transaction may use (`Limits.tx_gas`: the EIP-7825 cap, never past the chain's block gas limit).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_typing import HexStr

from auction import wire
from auction.auctioneer import arbitrate, limits
from auction.auctioneer.limits import DEFAULT_MAX_TX_GAS
from auction.auctioneer.stages import (
    Outcome,
    Ranked,
    Refused,
    Settled,
    Simulated,
    Simulation,
    Verified,
)
from auction.auth import Signer
from auction.settle_call import calldata
from auction.verdicts import Drop, DropReason
from contracts.revert import decode
from keel.errors import KeelError
from solver.domain import Auction

if TYPE_CHECKING:
    from web3 import Web3

SETTLE_TIMEOUT_S = 15.0

OnSent = Callable[[Ranked, str], None]


def simulate(w3: Web3, settlement: str, data: bytes, solver: str, block: int | str) -> Simulation:
    """eth_estimateGas of settle(`data`) from `solver` on the state after `block`; never raises.

    One call that returns either the gas the batch needs or the revert data, decoded by
    `contracts.revert`; an RPC that does not answer is a failed (not reverted) simulation.
    """
    from web3.types import RPCEndpoint

    tag = hex(block) if isinstance(block, int) else block
    tx = {"from": solver, "to": settlement, "data": "0x" + data.hex()}
    try:
        answer = w3.provider.make_request(RPCEndpoint("eth_estimateGas"), [tx, tag])
    except Exception as exc:  # a dead RPC mid-round: this candidate cannot be simulated
        return Simulation(None, f"{type(exc).__name__}: {exc}")
    if "error" in answer:
        err = answer["error"]
        data_hex = err.get("data")
        if isinstance(data_hex, dict):  # some nodes nest it
            data_hex = data_hex.get("data")
        if isinstance(data_hex, str):
            return Simulation(None, str(decode(data_hex)), reverted=True)
        return Simulation(None, str(err.get("message", "no reason")), reverted=True)
    return Simulation(int(str(answer["result"]), 16))


def encode(auction: Auction, verified: Verified) -> bytes | Refused:
    """settle()'s calldata for a verified solution, or why it cannot be encoded."""
    try:
        return calldata(auction, verified.proposed.solution)
    except KeelError as exc:
        return Refused(verified, Drop.of(DropReason.UNENCODABLE, exc.field, error=str(exc)))


def simulate_all(w3: Web3, auction: Auction, verified: list[Verified]) -> list[Simulated | Refused]:
    """Each verified solution simulated at the auction's block from its node's account."""
    out: list[Simulated | Refused] = []
    for v in verified:
        data = encode(auction, v)
        if isinstance(data, Refused):
            out.append(data)
            continue
        sim = simulate(w3, auction.settlement, data, v.proposed.asked.endpoint.address, auction.block)
        out.append(arbitrate.accept_simulation(auction, v, data, sim))
    return out


def gas_limit(simulated_gas: int, cap: int = DEFAULT_MAX_TX_GAS) -> int:
    return min(cap, limits.gas_limit(simulated_gas))


def signed_headers(signer: Signer | None, url: str, body: bytes) -> dict[str, str]:
    """Content-Type plus, with a signer, the auctioneer's signature over POST `url` (the node's
    authority and path, as registered) and `body`."""
    headers = {"Content-Type": "application/json"}
    if signer is not None:
        headers.update(signer.headers("POST", url, body))
    return headers


async def post_json(url: str, body: dict[str, Any], timeout_s: float,
                    signer: Signer | None = None) -> tuple[int, Any]:
    """POST `body` (signed by `signer`); (status, decoded JSON or None). Raises aiohttp.ClientError / TimeoutError."""
    import aiohttp

    data = json.dumps(body).encode()
    async with (aiohttp.ClientSession() as session, asyncio.timeout(timeout_s),
                session.post(url, data=data, headers=signed_headers(signer, url, data)) as resp):
        try:
            return resp.status, await resp.json(content_type=None)
        except ValueError:
            return resp.status, None


async def _send(auction: Auction, ranked: Ranked, signer: Signer | None) -> str | Refused:
    """Ask the node to send its calldata; the transaction hash, or why it was not sent."""
    import aiohttp

    s = ranked.simulated
    request = wire.SettleRequestModel(auctionId=auction.id, calldata=wire.hex_bytes(s.calldata), to=auction.settlement,
                                      gas=gas_limit(s.gas))
    url = s.verified.proposed.asked.endpoint.url + "/settle"
    try:
        status, body = await post_json(url, wire.dump(request), SETTLE_TIMEOUT_S, signer)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Refused(ranked, Drop.of(DropReason.NODE_DID_NOT_SEND, error=f"{type(exc).__name__}: {exc}"))
    if status == 200 and isinstance(body, dict):
        try:
            return wire.parse(wire.SettleAnswerModel, body).txHash
        except KeelError:  # a 200 without a transaction hash is a refusal like any other
            pass
    detail = body.get("error") if isinstance(body, dict) else None
    return Refused(ranked, Drop.of(DropReason.NODE_REFUSED, status=status, error=detail or "no error body"))


async def submit(w3: Web3, auction: Auction, ranked: Ranked, receipt_timeout_s: float,
                 on_sent: OnSent | None = None, signer: Signer | None = None) -> Settled | Refused:
    """Have `ranked`'s node send its calldata and wait for the receipt."""
    sent = await _send(auction, ranked, signer)
    if isinstance(sent, Refused):
        return sent
    if on_sent is not None:
        on_sent(ranked, sent)
    try:
        receipt = await asyncio.to_thread(w3.eth.wait_for_transaction_receipt, HexStr(sent), receipt_timeout_s)
    except Exception as exc:  # not mined in time, or an unknown hash: only `recover` can tell later
        return Refused(ranked, Drop.of(DropReason.NO_RECEIPT, tx_hash=sent, error=type(exc).__name__), tx_hash=sent)
    if receipt["status"] != 1:
        return Refused(ranked, Drop.of(DropReason.REVERTED_ON_CHAIN, tx_hash=sent), tx_hash=sent)
    return Settled(ranked, sent, int(receipt["gasUsed"]))


async def settle_best(w3: Web3, auction: Auction, ranked: list[Ranked], receipt_timeout_s: float,
                      on_sent: OnSent | None = None, signer: Signer | None = None) -> list[Outcome]:
    """Best first until one settles; the rest then `Lost`. In rank order."""
    out: list[Outcome] = []
    winner: Settled | None = None
    for r in ranked:
        if winner is not None:
            out.append(arbitrate.lose(r, winner.stage.simulated.score))
            continue
        if r.rank > 1:  # a failed attempt may have moved the chain: re-check on the latest state
            s = r.simulated
            sim = simulate(w3, auction.settlement, s.calldata, s.verified.proposed.asked.endpoint.address, "latest")
            if not sim.ok:
                out.append(Refused(r, Drop.of(DropReason.NO_LONGER_SETTLES, error=sim.error or "no reason")))
                continue
        attempt = await submit(w3, auction, r, receipt_timeout_s, on_sent, signer)
        out.append(attempt)
        if isinstance(attempt, Settled):
            winner = attempt
    return out
