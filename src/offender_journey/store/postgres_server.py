"""A throw-away PostgreSQL server in a temporary directory, for tests, benchmarks and trials.

It runs the server binaries installed on the machine (``initdb`` and ``pg_ctl`` on
``PATH``, or Debian's ``/usr/lib/postgresql/VERSION/bin``), listening on a private port
of 127.0.0.1 and a socket in its own directory, trusting local connections; everything
is deleted when it stops. A process killed outright cannot stop its server, which would
run on and keep what was stored; so the directory is named for the process, and the
next server started stops and deletes those of processes that have ended. PostgreSQL
refuses to run as root, so when started by root the server runs as the ``postgres``
user (or ``nobody``). Needs only the standard library: the store itself needs the
``postgres`` extra.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from ..errors import StoreError
from ..workfiles import ended_private_dirs, private_dir

__all__ = ["TemporaryServer", "server_binaries"]

#: The name of a server's directory, in the temporary directory.
_SERVER_DIR = "offender-journey-pg"

#: Settings for a server whose data may be lost at any time: no waiting on the disk.
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def server_binaries() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; :class:`StoreError` if none is found."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if debian:
        return Path(debian[-1]).parent
    raise StoreError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL "
        "(on Debian: apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TemporaryServer:
    """A PostgreSQL cluster made by ``initdb`` in a temporary directory; a context manager.

    ``url`` is the superuser's URL of the ``postgres`` database. ``settings`` are
    server parameters (``FAST`` by default: nothing is synced to disk).

    Examples:
        A session with a server of its own (takes a second or two)::

            with TemporaryServer() as server:
                store = open_store(server.url)
    """

    def __init__(
        self, settings: Mapping[str, str] | None = None, *, max_connections: int = 200
    ) -> None:
        self._bin = server_binaries()
        self._settings = {"max_connections": str(max_connections), **(settings or FAST)}
        self._dir: Path | None = None
        self.port = 0
        self.url = ""

    def _run(self, *command: str) -> None:
        """Run a server tool, as an ordinary user when we are root."""
        user: int | None = None
        group: int | None = None
        if os.geteuid() == 0:
            account = _unprivileged_account()
            user, group = account.pw_uid, account.pw_gid
        done = subprocess.run(
            [str(self._bin / command[0]), *command[1:]],
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StoreError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> Self:
        """Create the cluster and start the server (waits until it accepts connections).

        Servers left by processes killed outright are stopped and deleted first.
        """
        for leftover in ended_private_dirs(_SERVER_DIR):
            self._stop_server(leftover)
        self._dir = private_dir(_SERVER_DIR)  # deletes the leftovers
        if os.geteuid() == 0:
            account = _unprivileged_account()
            os.chown(self._dir, account.pw_uid, account.pw_gid)
        data = self._dir / "data"
        self._run(
            "initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        self.port = _free_port()
        options = [f"-p {self.port}", f"-k {self._dir}", "-c listen_addresses=127.0.0.1"]
        options += [f"-c {name}={value}" for name, value in self._settings.items()]
        log = self._dir / "server.log"
        self._run("pg_ctl", "-D", str(data), "-l", str(log), "-o", " ".join(options), "-w", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return self

    def stop(self) -> None:
        """Stop the server at once and delete everything it wrote."""
        if self._dir is None:
            return
        self._stop_server(self._dir)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def _stop_server(self, directory: Path) -> None:
        """Stop the server whose cluster is in ``directory`` at once, if one runs there."""
        with contextlib.suppress(StoreError):
            self._run("pg_ctl", "-D", str(directory / "data"), "-m", "immediate", "-w", "stop")

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<TemporaryServer {self.url or 'not started'}>"


def _unprivileged_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise StoreError("running as root, and no 'postgres' or 'nobody' user to run PostgreSQL as")
