"""Work files beside an output: named for the process writing them, cleared once it is gone.

Every output (a rejects file, an export directory, a picture) is written under a hidden
name beside its target and renamed onto it when complete, so nobody sees half of one. A
run killed with ``kill -9`` cannot remove its own work file, and that file holds the
same personal data as the output would. So the name carries the writer's process id,
and the next run writing the same target removes every work file whose process has
ended (and those of releases that did not name the process).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["clear_leftovers", "work_dir", "work_file"]


def work_file(target: str | os.PathLike[str]) -> str:
    """A new owner-only (``0600``) work file beside ``target``, with the same suffix.

    Leftovers of killed runs writing ``target`` are removed first.
    """
    path = Path(target)
    suffix = path.suffix
    clear_leftovers(path, suffix)
    fd, name = tempfile.mkstemp(prefix=_prefix(path), suffix=suffix, dir=path.parent)
    os.fchmod(fd, 0o600)  # whatever the umask
    os.close(fd)
    return name


def work_dir(target: str | os.PathLike[str]) -> Path:
    """A new owner-only (``0700``) work directory beside ``target``, ending ``.partial``.

    Leftovers of killed runs writing ``target`` are removed first.
    """
    path = Path(target)
    clear_leftovers(path, ".partial")
    return Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".partial", dir=path.parent))


def clear_leftovers(target: Path, suffix: str) -> list[Path]:
    """Remove the work files beside ``target`` whose writer has ended; returns them.

    Only names this module makes are touched: ``.<name>.<process id>.<8 random
    characters><suffix>``, or the same without the process id (older releases).
    """
    shape = re.compile(
        rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}{re.escape(suffix)}"
    )
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(target.parent):
            match = shape.fullmatch(entry.name)
            if match is None or (match.group(1) and _running(int(match.group(1)))):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, OSError):
        return False
    return True
