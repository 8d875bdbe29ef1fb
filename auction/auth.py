"""Who may talk to a solver node: requests signed by the one auctioneer it was started with.

Scheme (documented in SECURITY.md):

    digest    = keccak256(method ‖ "\\n" ‖ node ‖ "\\n" ‖ path ‖ "\\n" ‖ timestamp_ms ‖ "\\n" ‖ body)
    signature = EIP-191 personal_sign(digest) by the auctioneer's key (65 bytes, r ‖ s ‖ v)
    headers   X-Keel-Timestamp: <unix ms, decimal>   X-Keel-Signature: 0x<130 hex>

`node` is the authority (host:port, lowercase) of the URL the auctioneer sends to, as the
node was registered: a request signed for node A is refused by node B. method, node, path
and timestamp never contain a newline, so the preimage is unambiguous; the body is signed
byte for byte as sent. A node checks (`Verifier.check`):
- both headers present and well-formed, the timestamp within `WINDOW_MS` of its clock,
  the signature canonical (v ∈ {27, 28}, s ≤ n/2: the one encoding of each signature, so
  flipping v or s cannot mint a second accepted copy), and the request digest not seen
  before inside that window (replay) — else 401 Unauthorized;
- the signed `node` is one of the node's own authorities (its `--public-url`, else the
  address and port of the socket the request arrived on) — else 403 Forbidden;
- the recovered signer equals the configured auctioneer address — else 403 Forbidden.
A request that fails either check reaches no handler: nothing is parsed, solved or sent.

The auctioneer's key authenticates requests only and holds no funds; it lives in a 0600
file in the state directory (`load_or_create`).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.crypto import keccak

from intents.model import checksum
from keel.errors import KeelError

TIMESTAMP_HEADER = "X-Keel-Timestamp"
SIGNATURE_HEADER = "X-Keel-Signature"
WINDOW_MS = 30_000  # clocks of the auctioneer and its nodes may differ by this much
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class Unauthenticated(KeelError):
    """No valid signature: missing, malformed, stale or replayed."""

    http_status = 401


class Forbidden(KeelError):
    """A valid signature by someone this node does not trust."""

    http_status = 403


def authority(url: str) -> str:
    """The host:port a URL names, lowercase (the node identity a request is signed for)."""
    return urlparse(url).netloc.lower()


def digest(method: str, node: str, path: str, timestamp_ms: int, body: bytes) -> bytes:
    """keccak256(method ‖ \\n ‖ node ‖ \\n ‖ path ‖ \\n ‖ timestamp ‖ \\n ‖ body): what the auctioneer signs."""
    return keccak(b"\n".join([method.upper().encode(), node.lower().encode(), path.encode(),
                              str(timestamp_ms).encode(), body]))


def canonical(signature: bytes) -> bool:
    """v is 27 or 28 and s is in the lower half of the curve order: each signature has one encoding."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[64] in (27, 28) and 0 < s <= SECP256K1_N // 2


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Signer:
    """The auctioneer's request key. `repr` never shows it."""

    key: bytes = field(repr=False)

    @property
    def address(self) -> str:
        return str(Account.from_key(self.key).address)

    @classmethod
    def random(cls) -> Signer:
        return cls(secrets.token_bytes(32))

    def headers(self, method: str, url: str, body: bytes, now_ms: int | None = None) -> dict[str, str]:
        """The two headers that authenticate `method url body` now, for the node `url` names."""
        ts = _now_ms() if now_ms is None else now_ms
        parsed = urlparse(url)
        message = encode_defunct(primitive=digest(method, parsed.netloc, parsed.path, ts, body))
        signed = Account.sign_message(message, self.key)
        return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: "0x" + bytes(signed.signature).hex()}


def local_key_path() -> Path:
    """Where this project's auctioneer keeps its request key (`.keel/auctioneer.key`)."""
    from keel.paths import state_dir

    return state_dir() / "auctioneer.key"


def load_or_create(path: Path | None = None) -> Signer:
    """The auctioneer key kept at `path` (default `local_key_path()`; created 0600 on first use)."""
    path = path or local_key_path()
    if path.exists():
        text = path.read_text().strip()
        if not re.fullmatch(r"0x[0-9a-f]{64}", text):
            raise KeelError(f"auctioneer key: {path} does not hold a 0x-prefixed 32-byte hex key", "auctioneer")
        return Signer(bytes.fromhex(text[2:]))
    signer = Signer.random()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("0x" + signer.key.hex() + "\n")
    return signer


@dataclass
class Verifier:
    """A node's check of each request against its one auctioneer; remembers request digests to refuse replays."""

    auctioneer: str
    window_ms: int = WINDOW_MS
    _seen: dict[bytes, int] = field(default_factory=dict, repr=False)  # request digest -> timestamp
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.auctioneer = checksum(self.auctioneer, "auctioneer")

    def check(self, method: str, path: str, body: bytes, timestamp: str | None, signature: str | None,
              now_ms: int | None = None, nodes: tuple[str, ...] = ()) -> str:
        """The auctioneer's address if the request is its, fresh, new and for one of `nodes`
        (this node's authorities); else Unauthenticated / Forbidden."""
        now = _now_ms() if now_ms is None else now_ms
        ts = self.precheck(timestamp, signature, now)
        raw = bytes.fromhex(str(signature)[2:])
        signer, seen = self._signer(method, path, ts, body, raw, nodes)
        self._remember(seen, ts, now)
        return signer

    def precheck(self, timestamp: str | None, signature: str | None, now_ms: int | None = None) -> int:
        """What the headers alone show (present, fresh, canonical): run before the body is read,
        so a stranger without a well-formed fresh signature cannot make the node buffer or hash
        a body. The timestamp, or Unauthenticated."""
        now = _now_ms() if now_ms is None else now_ms
        if timestamp is None or signature is None:
            raise Unauthenticated(f"{SIGNATURE_HEADER}: this node answers only its auctioneer's signed requests",
                                  "signature")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Unauthenticated(f"{TIMESTAMP_HEADER}: expected unix milliseconds", "timestamp")
        ts = int(timestamp)
        if abs(now - ts) > self.window_ms:
            raise Unauthenticated(f"{TIMESTAMP_HEADER}: {ts} is more than {self.window_ms} ms from this node's clock",
                                  "timestamp")
        if not _SIGNATURE.fullmatch(signature):
            raise Unauthenticated(f"{SIGNATURE_HEADER}: expected 0x and 65 bytes of hex", "signature")
        raw = bytes.fromhex(signature[2:])
        if not canonical(raw):
            raise Unauthenticated(f"{SIGNATURE_HEADER}: not canonical (v must be 27 or 28, s at most n/2)",
                                  "signature")
        return ts

    def _signer(self, method: str, path: str, ts: int, body: bytes, raw: bytes,
                nodes: tuple[str, ...]) -> tuple[str, bytes]:
        """(the auctioneer, the request digest) if one of `nodes` makes the signature the auctioneer's."""
        signers = []
        for node in nodes:
            request = digest(method, node, path, ts, body)
            try:
                signer = str(Account.recover_message(encode_defunct(primitive=request), signature=raw))
            except Exception:  # r or s out of range: not a signature at all
                raise Unauthenticated(f"{SIGNATURE_HEADER}: not a valid secp256k1 signature", "signature") from None
            if signer == self.auctioneer:
                return signer, request
            signers.append(signer)
        # signed by a stranger for this node, or by anyone (the auctioneer too) for another node
        raise Forbidden(f"{SIGNATURE_HEADER}: signed by {signers[0] if signers else 'nobody'} for this node "
                        f"({', '.join(nodes) or 'no address known'}); this node trusts only {self.auctioneer}, "
                        f"signing for it", "signature")

    def _remember(self, request: bytes, ts: int, now: int) -> None:
        """Refuse a request digest already served inside the window (the key is the digest, not
        the signature's encoding, so no re-encoding of one signature passes twice)."""
        with self._lock:
            if request in self._seen:
                raise Unauthenticated(f"{SIGNATURE_HEADER}: this signed request was already used (replay)",
                                      "signature")
            for old in [d for d, t in self._seen.items() if abs(now - t) > self.window_ms]:
                del self._seen[old]
            self._seen[request] = ts
