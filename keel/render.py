"""Two views of the same records: a rich table for people, JSON for scripts.

Data goes to stdout; status and progress go to stderr so `--json | jq` always works.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped output (CI logs, `| less`) gets a wide page rather than rich's 80-column default.
PIPED_WIDTH = 160
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPED_WIDTH)
stderr = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else PIPED_WIDTH)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return to_jsonable(asdict(value))
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def emit_json(data: Any) -> None:
    print(json.dumps(to_jsonable(data), indent=2, sort_keys=False))


def table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    justify_right: Sequence[str] = (),
) -> Table:
    t = Table(title=title, header_style="bold")
    for col in columns:
        # fold, never ellipsize: an id cut to `0xd77661a1…` cannot be pasted into `show` or `cancel`
        t.add_column(col, justify="right" if col in justify_right else "left", overflow="fold")
    for row in rows:
        t.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    return t


def emit(
    data: Any,
    as_json: bool,
    rows: Iterable[Mapping[str, Any]] | None = None,
    columns: Sequence[str] = (),
    title: str | None = None,
    justify_right: Sequence[str] = (),
) -> None:
    """Print `data` as JSON, or `rows` as a table (rows default to `data` itself)."""
    if as_json:
        emit_json(data)
        return
    stdout.print(table(rows if rows is not None else data, columns, title, justify_right))


def price(value: float | None) -> str:
    """A price in USD with six significant figures, at least cents: `$2,999.09`, `$1.00031` (a
    stablecoin's cents would hide the difference the values beside it are computed from)."""
    if value is None:
        return "-"
    digits = len(f"{int(abs(value))}") if abs(value) >= 1 else 0
    text = f"${abs(value):,.{max(2, 6 - digits)}f}"
    return "-" + text if value < 0 else text


def usd(value: float | None) -> str:
    """Money as people read it: `$12,345.67`, `-$3.10`; `-` for no value."""
    if value is None:
        return "-"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def status(message: str) -> None:
    """A status line on stderr; under `--log-format json` a log record (one JSON object) instead."""
    from keel import logging as keel_logging

    if keel_logging.json_mode():
        import logging

        logging.getLogger("keel").info(message)
        return
    stderr.print(message, highlight=False)
