"""The CLI's bad-input matrix: every command with missing, malformed and out-of-range
arguments, run in-process through `cli.main` (the one error boundary).

Each row must end with exactly one line on stderr that starts with `keel:`, names what
is wrong (the flag, argument or field), is not the "unexpected error" of a bug, carries
no traceback, prints nothing on stdout, and exits with the code of its error family
(2 usage, 3 chain, 4 setup, 5 refused, 6 not found). No chain is running: commands that
need one must fail on their bad flag first, or say that the chain is down.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.errors import ExitCode
from tests.adversarial.test_fuzz_http import _liquidity
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parents[2]
USAGE, CHAIN, SETUP, REFUSED, NOT_FOUND = (int(c) for c in (ExitCode.USAGE, ExitCode.CHAIN, ExitCode.SETUP,
                                                             ExitCode.REFUSED, ExitCode.NOT_FOUND))
SNAP = "{snap}"  # replaced by a real liquidity snapshot file
BINARY = "{binary}"  # a .csv file of binary bytes
EXPIRED = "{expired}"  # a book whose option expired in 2020
BUSY = "{busy}"  # a port some socket holds
PRICED = ("--snapshot", SNAP, "--price", "WETH=3000", "--price", "USDC=1")
DEAD = "http://127.0.0.1:1"  # nothing listens on port 1

# (argv, exit code, text the one line must contain)
MATRIX: list[tuple[tuple[str, ...], int, str]] = [
    # the app itself
    (("nosuchcommand",), USAGE, "nosuchcommand"),
    (("contracts", "nosuch"), USAGE, "nosuch"),
    (("route", "--nosuchflag"), USAGE, "--nosuchflag"),
    # route: missing, malformed, out of range
    (("route",), USAGE, "sell"),
    (("route", "--sell", "WETH=1"), USAGE, "buy"),
    (("route", *PRICED, "--sell", "WETH=abc", "--buy", "USDC"), USAGE, "--sell"),
    (("route", *PRICED, "--sell", "WETH", "--buy", "USDC"), USAGE, "--sell"),
    (("route", *PRICED, "--sell", "WETH=-1", "--buy", "USDC"), USAGE, "--sell"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC=abc"), USAGE, "--buy"),
    (("route", *PRICED, "--sell", "NOPE=1", "--buy", "USDC"), NOT_FOUND, "NOPE"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "WETH"), USAGE, "WETH"),
    (("route", *PRICED, "--sell", "WETH=1e30", "--buy", "USDC"), REFUSED, "lower the amount"),
    (("route", "--snapshot", SNAP, "--price", "WETH=-3000", "--sell", "WETH=1", "--buy", "USDC"), USAGE, "--price"),
    (("route", "--snapshot", SNAP, "--sell", "WETH=1", "--buy", "USDC"), USAGE, "--price"),
    (("route", "--snapshot", "/nonexistent.json", "--sell", "WETH=1", "--buy", "USDC"), USAGE, "--snapshot"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--method", "magic"), USAGE, "--method"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--solver", "nope"), USAGE, "--solver"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--segments", "0"), USAGE, "--segments"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--max-hops", "9"), USAGE, "--max-hops"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--time-limit", "0"), USAGE, "--time-limit"),
    (("route", *PRICED, "--sell", "WETH=1", "--buy", "USDC", "--gas-gwei", "-3"), USAGE, "--gas-gwei"),
    # greeks
    (("greeks",), USAGE, "book"),
    (("greeks", "/nonexistent.csv"), USAGE, "/nonexistent.csv"),
    (("greeks", "samples/policy.toml"), USAGE, ".csv or .json"),
    (("greeks", "samples/book.csv", "--spot", "WETH=abc"), USAGE, "spot"),
    (("greeks", "samples/book.csv", "--spot", "WETH=-5"), USAGE, "spot"),
    (("greeks", "samples/book.csv", "--rate", "x"), USAGE, "--rate"),
    # backtest, stress, watch
    (("backtest",), USAGE, "policy"),
    (("backtest", "--policy", "/nonexistent.toml"), USAGE, "/nonexistent.toml"),
    (("backtest", "--policy", "samples/book.csv"), USAGE, "TOML"),
    (("backtest", "--policy", "samples/policy.toml", "--paths", "0"), USAGE, "--paths"),
    (("backtest", "--policy", "samples/policy.toml", "--model", "nope"), USAGE, "model"),
    (("backtest", "--policy", "samples/policy.toml", "--snapshot", SNAP, "--model", "csv:/nonexistent.csv"),
     USAGE, "/nonexistent.csv"),
    (("backtest", "--policy", "samples/policy.toml", "--snapshot", SNAP, "--portfolio", "WETH=abc"),
     USAGE, "portfolio"),
    # a book's hedge file run as a portfolio: its impulse policy cannot rebalance weights
    (("backtest", "--policy", "samples/policy.toml", "--snapshot", SNAP, "--portfolio", "USDC=40,WETH=60"),
     USAGE, "do not fit a portfolio"),
    (("stress",), USAGE, "policy"),
    (("stress", "--policy", "/nonexistent.toml"), USAGE, "/nonexistent.toml"),
    (("stress", "--policy", "samples/policy.toml", "--spot", "abc"), USAGE, "--spot"),
    (("watch",), USAGE, "policy"),
    (("watch", "/nonexistent.toml", "--dry-run"), USAGE, "/nonexistent.toml"),
    (("watch", "samples/policy.toml", "--polls", "-1"), USAGE, "--polls"),
    # chain
    (("chain", "up", "--port", "70000"), USAGE, "--port"),
    (("chain", "up", "--port", "abc"), USAGE, "--port"),
    (("chain", "up", "--fork-url", "notaurl"), USAGE, "--fork-url"),
    (("chain", "world"), CHAIN, "keel chain up"),
    # accounts
    (("account", "new"), USAGE, "name"),
    (("account", "import"), USAGE, "name"),
    # intents and the orderbook
    (("intent", "weights"), USAGE, "token"),
    (("intent", "hedge"), USAGE, "book"),
    (("intent", "submit", "/nonexistent.json"), USAGE, "/nonexistent.json"),
    (("intent", "submit", "samples/book.csv"), USAGE, "JSON"),
    (("intent", "list", "--limit", "0"), USAGE, "--limit"),
    (("intent", "list", "--orderbook", "notaurl"), USAGE, "orderbook"),
    (("intent", "list", "--orderbook", DEAD), SETUP, DEAD),
    (("intent", "show"), USAGE, "intent_id"),
    (("intent", "cancel", "0x12", "--account", "a"), USAGE, "id"),
    (("node", "serve", "--port", "0"), USAGE, "--port"),
    (("node", "serve", "--chain-id", "1", "--settlement", "0x123"), USAGE, "settlement"),
    (("node", "serve", "--db", "mysql://x", "--chain-id", "1",
      "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3"), USAGE, "db"),
    (("node", "serve", "--db", "postgresql://keel:pw@127.0.0.1:1/keel", "--chain-id", "1",
      "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3"), SETUP, "keel:***@127.0.0.1:1"),
    # solvers and auctions
    (("solver", "serve", "--strategy", "nope"), USAGE, "--strategy"),
    (("solver", "serve", "--port", "0"), USAGE, "--port"),
    (("solver", "register"), USAGE, "address"),
    (("auction", "run", "--deadline", "-1"), USAGE, "--deadline"),
    (("auction", "run", "--rounds", "-2"), USAGE, "--rounds"),
    (("auction", "show"), USAGE, "round"),
    (("auction", "show", "abc"), USAGE, "round_id"),
    (("auction", "show", "999999"), NOT_FOUND, "999999"),
    (("auction", "list", "--limit", "-1"), USAGE, "--limit"),
    (("up", "--interval", "-1"), USAGE, "--interval"),
    (("up", "--deadline", "0"), USAGE, "--deadline"),
    # the escapes of issue 17, each a one-line error with its documented exit code
    (("greeks", BINARY), USAGE, "not a text file"),
    (("intent", "hedge", "--book", BINARY, "--underlying", "WETH", "--band", "2"), USAGE, "not a text file"),
    (("backtest", "--book", BINARY, "--policy", "samples/policy.toml"), USAGE, "not a text file"),
    (("backtest", "--book", "samples/book.csv", "--policy", BINARY), USAGE, "not a text file"),
    (("stress", "--policy", BINARY), USAGE, "not a text file"),
    (("intent", "submit", BINARY), USAGE, "not a text file"),
    (("watch", BINARY, "--dry-run"), USAGE, "not a text file"),
    (("greeks", "samples/book.csv", "--spot", "FOO=1"), USAGE, "FOO is not an underlying"),
    (("greeks", EXPIRED, "--spot", "WETH=3000"), USAGE, "expired on 2020-06-26"),
    (("intent", "hedge", "--book", EXPIRED, "--underlying", "WETH", "--band", "2"), USAGE, "expired on 2020-06-26"),
    (("node", "serve", "--port", BUSY, "--chain-id", "1", "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
     USAGE, "--port"),
    (("solver", "serve", "--port", BUSY, "--solver", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      "--rpc-url", DEAD, "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3"), USAGE, "--port"),
    (("account", "new", "eve"), USAGE, "KEEL_PASSWORD"),
    (("intent", "weights", "--token", "WETH=50", "--token", "USDC=50", "--slippage", "0%"), REFUSED, "slippage"),
    (("intent", "weights", "--token", "WETH=50", "--token", "USDC=50", "--valid", "3650d"), REFUSED, "valid"),
    (("intent", "weights", "--token", "WETH=50", "--token", "USDC=50", "--max-fee", "30%"), REFUSED, "max-fee"),
    (("intent", "hedge", "--book", "samples/book.csv", "--underlying", "WETH", "--band", "2",
      "--target-delta", "1e9"), REFUSED, "target-delta"),
    (("intent", "show", "0x12"), USAGE, "intent_id"),
    (("intent", "show", "0xzz3456"), USAGE, "intent_id"),
    (("intent", "wait", "0x123456", "--orderbook", DEAD), SETUP, DEAD),
    (("intent", "history"), USAGE, "account use"),
    (("intent", "weights", "--token", "WETH=50", "--token", "USDC=50"), USAGE, "account use"),
    (("intent", "weights", "--token", "WETH=50", "--token", "USDC=50", "--account", "a"), CHAIN, "keel chain up"),
    (("approve", "WETH"), USAGE, "account use"),
    (("account", "fund"), USAGE, "account use"),
    (("explorer", "--port", BUSY), USAGE, "--port"),
    (("account", "use", "nobody"), NOT_FOUND, "nobody"),
]


@pytest.fixture()
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A fresh KEEL_HOME with no chain, no config file, no password, the repo as the working directory;
    the placeholders' files, and a port held busy for the test's length."""
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KEEL_CONFIG", str(tmp_path / "no-keel.toml"))
    for name in ("KEEL_PASSWORD", "KEEL_ACCOUNT", "KEEL_ORDERBOOK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO)
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(_liquidity()))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    expired = tmp_path / "expired.csv"
    expired.write_text("underlying,type,strike,expiry,quantity,implied_vol\nWETH,call,3000,2020-06-26,-10,0.6\n")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield {SNAP: str(snap), BINARY: str(binary), EXPIRED: str(expired), BUSY: str(held.getsockname()[1])}


@pytest.mark.parametrize(("argv", "code", "names"), MATRIX, ids=[" ".join(a) for a, _, _ in MATRIX])
def test_rejects_bad_input_with_one_line_and_its_exit_code(
    capsys: pytest.CaptureFixture[str], isolated: dict[str, str], argv: tuple[str, ...], code: int, names: str
) -> None:
    args = [isolated.get(a, a) for a in argv]
    result = run_cli(capsys, *args)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    line = lines[0]
    assert line.startswith("keel: ") and "Traceback" not in result.err
    assert "unexpected error" not in line, line
    assert names in line, line
    assert result.out == ""
    assert result.code == code, f"exit {result.code}: {line}"


def test_should_accept_the_same_route_once_the_input_is_good(capsys: pytest.CaptureFixture[str],
                                                            isolated: dict[str, str]) -> None:
    result = run_cli(capsys, "route", "--snapshot", isolated[SNAP], "--price", "WETH=3000", "--price", "USDC=1",
                     "--sell", "WETH=1", "--buy", "USDC", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["hops"]


# ---- escapes that need a chain to be seen --------------------------------------------------
# (argv, exit code, text): run against a fresh `keel chain up` with a funded default account.
ON_CHAIN: list[tuple[tuple[str, ...], int, str]] = [
    (("intent", "weights", "--token", "NOPE=50", "--token", "USDC=50"), NOT_FOUND, "NOPE"),
    (("intent", "hedge", "--book", "samples/book.csv", "--underlying", "NOPE", "--band", "2"), NOT_FOUND, "NOPE"),
    (("route", "--sell", "NOPE=1", "--buy", "USDC"), NOT_FOUND, "NOPE"),
    (("approve", "NOPE"), NOT_FOUND, "NOPE"),
    (("account", "fund", "--token", "NOPE=1"), NOT_FOUND, "NOPE"),
    (("account", "fund", "--token", "WETH=abc"), USAGE, "token"),
    (("intent", "weights", "--token", "WETH=30", "--token", "USDC=70", "--yes"), REFUSED, "holds none of"),
]


@pytest.fixture(scope="module")
def chain_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`keel chain up` in its own KEEL_HOME with an (unfunded) default account; stopped after the module."""
    import os

    from commands import wallet
    from contracts import chain
    from intents import keystore

    home = tmp_path_factory.mktemp("chain-home")
    old = os.environ.get("KEEL_HOME")
    os.environ["KEEL_HOME"] = str(home)
    try:
        chain.up(None, None, False)
        keystore.create("mallory", "pw", scrypt_n=2)
        wallet.use_account("mallory")
        yield home
    finally:
        chain.down()
        if old is None:
            os.environ.pop("KEEL_HOME", None)
        else:
            os.environ["KEEL_HOME"] = old


@pytest.mark.parametrize(("argv", "code", "names"), ON_CHAIN, ids=[" ".join(a) for a, _, _ in ON_CHAIN])
def test_rejects_bad_input_on_a_running_chain_with_one_line_and_its_exit_code(
    capsys: pytest.CaptureFixture[str], chain_home: Path, monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...], code: int, names: str,
) -> None:
    monkeypatch.setenv("KEEL_HOME", str(chain_home))
    monkeypatch.setenv("KEEL_CONFIG", str(chain_home / "no-keel.toml"))
    monkeypatch.setenv("KEEL_PASSWORD", "pw")
    monkeypatch.chdir(REPO)
    result = run_cli(capsys, *argv)
    lines = result.err.strip().splitlines()
    assert lines and lines[-1].startswith("keel: ") and "Traceback" not in result.err, result.err
    assert names in lines[-1] and "unexpected error" not in lines[-1], lines[-1]
    assert sum(line.startswith("keel: ") for line in lines) == 1  # previews may precede it; one error line
    assert result.code == code, f"exit {result.code}: {lines[-1]}"


def test_fork_url_to_a_chain_without_the_mainnet_contracts_is_refused_naming_them(
    capsys: pytest.CaptureFixture[str], isolated: dict[str, str]
) -> None:
    from contracts import anvil

    bare = anvil.start()  # an empty chain: no tokens, no Uniswap, no feeds
    try:
        port = anvil.free_port()
        result = run_cli(capsys, "chain", "up", "--fork-url", f"http://127.0.0.1:{bare.port}", "--port", str(port))
    finally:
        anvil.stop(bare.pid)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and result.code == CHAIN, result.err
    assert "lacks contracts keel needs" in lines[0], lines[0]
    assert all(name in lines[0] for name in ("WETH", "USDC / USD feed", "v2_factory", "quoter")), lines[0]
    assert not anvil.port_in_use(port)  # nothing was started
