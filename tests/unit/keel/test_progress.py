"""`keel.progress.Steps`: a determinate bar on a terminal once work passes its delay; nothing for
quick work, nothing when disabled (`--json`), nothing when stderr is not a terminal."""

from __future__ import annotations

import io
import time

from rich.console import Console

from keel.progress import Steps


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100), buffer


def test_should_draw_a_determinate_bar_once_the_work_passes_its_delay() -> None:
    console, buffer = terminal()
    with Steps("discovering pools", 6, delay_s=0.05, console=console) as steps:
        steps.update(2, "12 pools found")
        deadline = time.monotonic() + 10
        while not steps.shown and time.monotonic() < deadline:
            time.sleep(0.02)
        steps.update(4, "V3 ticks read")
        time.sleep(0.3)  # a refresh of the live bar (rich redraws 10 times a second)
    drawn = buffer.getvalue()
    assert steps.shown and "discovering pools: V3 ticks read" in drawn and "4/6" in drawn


def test_should_stay_silent_for_quick_work_when_disabled_and_off_a_terminal() -> None:
    console, buffer = terminal()
    with Steps("quick", 3, delay_s=5.0, console=console) as steps:
        steps.update(3, "done")
    assert not steps.shown and buffer.getvalue() == ""
    with Steps("json", 3, enabled=False, delay_s=0.0, console=console) as steps:
        time.sleep(0.1)
    assert not steps.shown and buffer.getvalue() == ""
    piped = Console(file=io.StringIO(), force_terminal=False)
    with Steps("piped", 3, delay_s=0.0, console=piped) as steps:
        time.sleep(0.1)
    assert not steps.enabled and not steps.shown
