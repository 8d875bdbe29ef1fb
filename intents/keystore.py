"""Encrypted keystores (Web3 Secret Storage, scrypt) under `<KEEL_HOME>/keystore/<name>.json`.

The files are the standard format geth and foundry read. A private key only ever leaves
this module inside an eth-account `LocalAccount` handed to a signer; it is never printed,
logged or put in an error message. Files are written atomically with mode 0600.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import is_address, to_checksum_address

from intents.errors import KeystoreError, UnknownAccount
from keel.paths import state_dir

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class KeystoreEntry:
    name: str
    address: str
    path: Path


def keystore_dir() -> Path:
    return state_dir() / "keystore"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise KeystoreError(f"name: {name!r} must be 1-64 letters, digits, '-', '_' or '.'", "name")
    return name


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise KeystoreError(f"keystore: {path} is not a readable keystore file ({exc})", "account") from None
    if not isinstance(data, dict) or "crypto" not in data or "address" not in data:
        raise KeystoreError(f"keystore: {path} is not a Web3 Secret Storage file", "account")
    return data


def entries(folder: Path | None = None) -> list[KeystoreEntry]:
    """Every keystore in the folder, sorted by name (addresses from the files' plaintext field)."""
    folder = folder or keystore_dir()
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        data = _read(path)
        out.append(KeystoreEntry(path.stem, to_checksum_address("0x" + str(data["address"]).removeprefix("0x")), path))
    return out


def find(account: str, folder: Path | None = None) -> KeystoreEntry:
    """An account by name or by address; a KeystoreError lists what exists."""
    known = entries(folder)
    for e in known:
        if e.name == account or (is_address(account) and e.address.lower() == account.lower()):
            return e
    names = ", ".join(e.name for e in known) or "none: run `keel account new NAME`"
    raise UnknownAccount(f"account: no keystore named {account!r} (known: {names})", "account")


def _write(name: str, private_key: bytes, password: str, folder: Path | None, scrypt_n: int | None) -> KeystoreEntry:
    folder = folder or keystore_dir()
    _check_name(name)
    if not password:
        raise KeystoreError("password: must not be empty", "password")
    path = folder / f"{name}.json"
    if path.exists():
        raise KeystoreError(f"name: an account named {name!r} already exists ({path})", "name")
    address = Account.from_key(private_key).address
    if any(e.address == address for e in entries(folder)):
        raise KeystoreError(f"key: {address} is already in the keystore", "key")
    kwargs: dict[str, Any] = {"kdf": "scrypt"}
    if scrypt_n:
        kwargs["iterations"] = scrypt_n
    data = Account.encrypt(private_key, password, **kwargs)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".{name}.json.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return KeystoreEntry(name, address, path)


def create(name: str, password: str, folder: Path | None = None, scrypt_n: int | None = None) -> KeystoreEntry:
    """A fresh random key, encrypted under `password`."""
    return _write(name, bytes(Account.create().key), password, folder, scrypt_n)


def parse_private_key(text: str) -> bytes:
    raw = text.strip().removeprefix("0x")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) != 32 or int.from_bytes(key, "big") == 0:
        raise KeystoreError("key: a private key is 32 bytes of hex (64 hex digits)", "key")
    return key


def import_key(name: str, private_key: str, password: str, folder: Path | None = None, scrypt_n: int | None = None) -> KeystoreEntry:
    return _write(name, parse_private_key(private_key), password, folder, scrypt_n)


def unlock(account: str, password: str, folder: Path | None = None) -> Any:
    """The eth-account LocalAccount for `account` (name or address); wrong password -> KeystoreError."""
    entry = find(account, folder)
    try:
        key = Account.decrypt(_read(entry.path), password)
    except ValueError:
        raise KeystoreError(f"password: wrong password for account {entry.name!r}", "password") from None
    return Account.from_key(key)
