"""Refuse a busy port before a service says it is listening (`keel node serve`, `keel solver serve`, `keel explorer`)."""

from __future__ import annotations

import socket

from keel.errors import UsageError


def ensure_free(host: str, port: int) -> None:
    """A one-line UsageError naming `--port` when `host:port` cannot be bound (busy, or not ours to bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds: a TIME_WAIT port is free
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--port: {host}:{port} is not free ({exc.strerror}); pick another with --port N",
                             "port") from None


def ready(host: str, port: int, message: str) -> None:
    """Once the store is open (a bad --db is said first): refuse a busy port, else say where it listens."""
    from keel import render

    ensure_free(host, port)
    render.status(message)
