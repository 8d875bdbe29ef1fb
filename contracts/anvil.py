"""Start and stop anvil: loopback only, a free port, a neutral working directory, stopped by PID.

anvil reads `foundry.toml` from its working directory, so it always runs from a fresh
temporary directory. `start` returns only once the node answers JSON-RPC, or raises a
one-line `ChainError` with the reason anvil gave, leaving no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keel.errors import ChainError, SetupError, UsageError
from keel.paths import node_modules

HOST = "127.0.0.1"
DEFAULT_ACCOUNTS = 20
STARTUP_TIMEOUT_S = 30.0


def anvil_bin() -> Path:
    path = node_modules() / "@foundry-rs/anvil-linux-amd64/bin/anvil"
    if not path.exists():
        raise SetupError("anvil is not installed (node_modules/@foundry-rs/anvil-linux-amd64): run `npm ci` or `make test`")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 5.0) -> object:
    """One JSON-RPC call without web3 (cheap, for health checks)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            answer = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ChainError(f"no JSON-RPC answer from {url}: {getattr(exc, 'reason', exc)}") from exc
    if "error" in answer:
        raise ChainError(f"{method} failed at {url}: {answer['error'].get('message')}")
    return answer["result"]


def answers(url: str) -> bool:
    try:
        rpc(url, "eth_chainId", timeout=1.0)
    except ChainError:
        return False
    return True


@dataclass(frozen=True)
class AnvilNode:
    pid: int
    port: int
    log_path: str
    fork_url: str | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def start(
    port: int | None = None,
    fork_url: str | None = None,
    load_state: Path | None = None,
    accounts: int = DEFAULT_ACCOUNTS,
    balance_eth: int = 10_000,
    log_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> AnvilNode:
    """Start anvil on 127.0.0.1 and wait until it answers; raise ChainError (and kill it) if not."""
    binary = anvil_bin()
    if port is None:
        port = free_port()
    elif port_in_use(port):
        raise UsageError(f"port {port} on {HOST} is in use: pick another with --port, or omit it to use a free one")
    if fork_url is not None:
        _check_fork_url(fork_url)
    workdir = Path(tempfile.mkdtemp(prefix="keel-anvil-"))
    log_dir = log_dir or workdir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"anvil-{port}.log"
    args = [str(binary), "--host", HOST, "--port", str(port), "--accounts", str(accounts),
            "--balance", str(balance_eth), "--code-size-limit", "1000000", *extra_args]
    if fork_url is not None:
        args += ["--fork-url", fork_url]
    if load_state is not None:
        args += ["--load-state", str(load_state)]
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child; closed below
    try:
        proc = subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()
    node = AnvilNode(pid=proc.pid, port=port, log_path=str(log_path), fork_url=fork_url)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = last_line(log_path)
            raise ChainError(f"anvil exited at start-up (code {proc.returncode}): {reason}")
        if answers(node.url):
            return node
        time.sleep(0.05)
    stop(node.pid)
    raise ChainError(f"anvil did not answer on {node.url} within {STARTUP_TIMEOUT_S:.0f}s; see {log_path}")


def _check_fork_url(url: str) -> None:
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise UsageError(f"--fork-url {url!r} is not an http(s) or ws(s) URL")
    if not answers(url):
        raise ChainError(f"--fork-url {url} does not answer JSON-RPC: start that node or fix the URL")


def last_line(path: Path) -> str:
    """The last non-empty line of a log file: what a process said as it died."""
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); reap it if it is ours
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def stop(pid: int, timeout_s: float = 5.0) -> None:
    """Stop a process (and its group) by PID: SIGTERM, then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.05)


@contextlib.contextmanager
def running(**kwargs: object) -> Iterator[AnvilNode]:
    """A node for the duration of a `with` block; stopped on exit, error or Ctrl-C."""
    node = start(**kwargs)  # type: ignore[arg-type]
    try:
        yield node
    finally:
        stop(node.pid)
