"""How keel's services log: `--log-format text` (the default) or `json`, one object per line.

`configure("json")` sends every log record of the process (keel's own status lines through
`keel.render.status`, aiohttp's access and error logs) to stderr as one JSON object per line:

    {"ts": "2026-12-01T20:31:07.123Z", "level": "info", "logger": "aiohttp.access", "msg": "...", ...}

plus `exc` (the traceback, as one string) when a record carries one, and any `extra=` fields.
It also sets `KEEL_LOG_FORMAT`, so the services `keel up` spawns log the same way. `text`
leaves Python's logging as it is (rich status lines on stderr, no access log).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

FORMATS = ("text", "json")
ENV = "KEEL_LOG_FORMAT"
# LogRecord's own attributes: whatever else a record carries came from `extra=` and is logged as a field
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_json = False  # set by configure(): render.status logs instead of printing


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON; values JSON cannot hold are written as their `str`."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


def check_format(value: str) -> str:
    """`value` if it is a known format; else a one-line `UsageError` naming `--log-format`."""
    from keel.errors import UsageError

    if value not in FORMATS:
        raise UsageError(f"--log-format: {value!r} is not one of {', '.join(FORMATS)}", "log_format")
    return value


def configure(fmt: str) -> None:
    """Set this process's (and its children's) log format; `json` installs the one stderr handler."""
    global _json
    os.environ[ENV] = check_format(fmt)
    _json = fmt == "json"
    if not _json:
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def json_mode() -> bool:
    """True once `configure("json")` ran in this process."""
    return _json
