"""`--log-format json`: every line a service writes is one JSON object; a bad format is one line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from contracts.anvil import free_port
from keel.logging import JsonFormatter
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parents[3]
SETTLEMENT = "0x" + "11" * 20


def test_should_write_a_record_with_extras_and_a_traceback_as_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("keel", logging.ERROR, __file__, 1, "round %d failed", (7,), sys.exc_info())
    record.round_id = 7
    line = JsonFormatter().format(record)
    assert "\n" not in line
    body = json.loads(line)
    assert body["level"] == "error" and body["logger"] == "keel" and body["msg"] == "round 7 failed"
    assert body["round_id"] == 7 and "ValueError: boom" in body["exc"] and body["ts"].endswith("Z")


def test_rejects_an_unknown_log_format_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--log-format", "yaml", "config")
    assert result.code != 0
    assert result.err.strip().splitlines() == ["keel: --log-format: 'yaml' is not one of text, json"]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_service_under_json_logs_writes_only_json_lines(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "orderbook.log"
    argv = [sys.executable, str(REPO / "cli.py"), "--log-format", "json", "node", "serve", "--port", str(port),
            "--db", str(tmp_path / "ob.db"), "--chain-id", "31337", "--settlement", SETTLEMENT]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=out, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if _get(f"http://127.0.0.1:{port}/health") == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert _get(f"http://127.0.0.1:{port}/nowhere") == 404
    finally:
        proc.terminate()
        proc.wait(20)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert records, "the service logged nothing"
    access = [r for r in records if r["logger"] == "aiohttp.access"]
    assert any("GET /nowhere" in r["msg"] and " 404 " in r["msg"] for r in access), access
    assert any(r["logger"] == "keel" for r in records), records
