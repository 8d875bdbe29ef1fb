"""A determinate progress bar on stderr for work that takes more than a second.

    with Steps("reading pools", total=5, enabled=not as_json) as steps:
        steps.update(1, "4 tokens, 12 pools found")      # completed so far, what is happening
        ...

The bar (rich.progress: a bar, `done/total`, elapsed time) appears only once the work has run
`delay_s` (1 s by default; quick work stays silent), only when `enabled` and stderr is a
terminal, and is transient: it disappears when the work ends, so nothing of it is left in a log
or mixed into `--json` output (which goes to stdout anyway). `update` may be called from any
thread and before the bar is shown; the bar starts from a timer thread with the latest state.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from keel import render


class Steps:
    """See the module docstring. `console` defaults to keel's stderr console."""

    def __init__(self, label: str, total: int, enabled: bool = True, delay_s: float = 1.0,
                 console: Any = None) -> None:
        self.label, self.total, self.delay_s = label, max(int(total), 1), delay_s
        self.console = console if console is not None else render.stderr
        self.enabled = enabled and bool(self.console.is_terminal)
        self.completed, self.what = 0, ""
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self._timer: threading.Timer | None = None
        self.shown = False  # whether the bar was ever drawn (tests read it)

    def __enter__(self) -> Steps:
        if self.enabled:
            self._timer = threading.Timer(self.delay_s, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def update(self, completed: int, what: str = "", total: int | None = None) -> None:
        with self._lock:
            self.completed, self.what = min(completed, self.total), what or self.what
            if total is not None:
                self.total = max(int(total), 1)
            if self._bar is not None:
                self._bar.update(self._task, completed=self.completed, total=self.total, description=self._text())

    def _text(self) -> str:
        return f"{self.label}: {self.what}" if self.what else self.label

    def _show(self) -> None:
        from rich import progress as rp

        with self._lock:
            if self._timer is None:  # the work ended while the timer fired
                return
            self._bar = rp.Progress(rp.TextColumn("{task.description}"), rp.BarColumn(), rp.MofNCompleteColumn(),
                                    rp.TimeElapsedColumn(), console=self.console, transient=True)
            self._task = self._bar.add_task(self._text(), total=self.total, completed=self.completed)
            self._bar.start()
            self.shown = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
            bar, self._bar = self._bar, None
        if timer is not None:
            timer.cancel()
        if bar is not None:
            bar.stop()
