"""A throwaway local Postgres server: initdb into a fresh folder, serve on a free loopback port.

    server = start_local_postgres()        # ~1.5 s: initdb + start
    url = server.create_database("t1")     # postgresql://keel@127.0.0.1:PORT/t1
    ...
    server.stop()                          # by PID; the folder is removed

What tests and benches use so that `make test` needs no running database and no manual step.
The binaries are the machine's (`make setup` installs Debian's `postgresql` package when they
are missing); `KEEL_PG_BIN` points at another `bin/` folder.

initdb and postgres refuse to run as root. As root (CI, containers) the server runs as the
`postgres` system user (created by the Debian package; `nobody` otherwise) through
`setpriv`, which execs in place, so the PID we hold is the postmaster's own. Its folder is
created under the system temp dir and handed to that user. It listens on 127.0.0.1 only,
unix sockets inside its own folder, trust authentication for user `keel` (loopback only).
Durability settings are Postgres's defaults (fsync on): benches measure the real thing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from keel.db import DbUnavailable
from keel.errors import SetupError

USER = "keel"


def find_bin_dir() -> Path:
    """The folder holding `initdb` and `postgres`: $KEEL_PG_BIN, Debian's newest, or $PATH."""
    candidates = [os.environ["KEEL_PG_BIN"]] if os.environ.get("KEEL_PG_BIN") else []
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                    if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += debian
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    raise SetupError("postgres: no initdb/postgres binaries found; run `make setup` "
                     "(installs the Debian postgresql package) or set KEEL_PG_BIN")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> tuple[list[str], int | None, int | None]:
    """(command prefix, uid, gid) to run the server unprivileged; no prefix when we are not root."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise SetupError("postgres: running as root needs `setpriv` (util-linux) to drop to a non-root user")
        return ([setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--"],
                entry.pw_uid, entry.pw_gid)
    raise SetupError("postgres: running as root and no `postgres` or `nobody` user to run the server as")


@dataclass
class LocalPostgres:
    """A running server; `url(db)` names a database on it; `stop()` ends it by PID."""

    folder: Path
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    _created: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """A new empty database on this server; returns its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        self._created.append(dbname)
        return self.url(dbname)

    def stop(self, timeout_s: float = 20.0) -> None:
        """Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), SIGKILL past the timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_local_postgres(timeout_s: float = 30.0) -> LocalPostgres:
    """initdb + postgres on a free 127.0.0.1 port; returns once it accepts connections."""
    bin_dir = find_bin_dir()
    prefix, uid, gid = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="keel-pg-"))
    if uid is not None and gid is not None:
        os.chown(folder, uid, gid)
    data, log = folder / "data", folder / "server.log"
    init = subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                           "-E", "UTF8", "--locale=C"], capture_output=True, text=True, cwd=folder)
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SetupError(f"postgres: initdb failed: {(init.stderr.strip().splitlines() or ['?'])[-1]}")
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
             "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder,
        )
    server = LocalPostgres(folder, port, proc, log)
    try:
        _wait_ready(server, timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: LocalPostgres, timeout_s: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace").strip().splitlines()[-1:] if server.log.exists() else []
            raise SetupError(f"postgres: the server exited at start ({tail[0] if tail else 'no log'})")
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise DbUnavailable(f"postgres: not accepting connections after {timeout_s:.0f} s ({exc})") from None
            time.sleep(0.05)
