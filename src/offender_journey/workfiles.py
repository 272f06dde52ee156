"""Work files named for the process writing them, cleared once it is gone.

Every output (a rejects file, an export directory, a picture) is written under a hidden
name beside its target and renamed onto it when complete, so nobody sees half of one. A
parallel refresh keeps its workers' files of facts in a private directory of the system's
temporary directory, and a throw-away PostgreSQL server keeps its data in another. A run
killed with ``kill -9`` cannot remove its own work files, and they hold the same personal
data as the output or the store. So each name carries the process id of the run that made
it, and the next run making the same kind removes those whose process has ended (beside
an output, also those of releases that did not name the process).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["clear_leftovers", "ended_private_dirs", "private_dir", "work_dir", "work_file"]

#: The random part of a name ``tempfile`` makes.
_RANDOM = "[a-z0-9_]{8}"


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
    shape = re.compile(rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?{_RANDOM}{re.escape(suffix)}")
    return [_remove(path) for path in _ended(target.parent, shape)]


def private_dir(name: str) -> Path:
    """A new owner-only (``0700``) directory in the system's temporary directory, named
    ``<name>.<process id>.<8 random characters>``.

    Those that processes now ended left under ``name`` are removed first: nobody else
    would ever remove them.
    """
    for leftover in ended_private_dirs(name):
        _remove(leftover)
    return Path(tempfile.mkdtemp(prefix=f"{name}.{os.getpid()}.", dir=tempfile.gettempdir()))


def ended_private_dirs(name: str) -> list[Path]:
    """The directories :func:`private_dir` made under ``name`` whose process has ended.

    Names without a process id are left alone: in a directory everyone shares, such a
    name may be an older release's, still at work.
    """
    shape = re.compile(rf"{re.escape(name)}\.(\d+)\.{_RANDOM}")
    return _ended(Path(tempfile.gettempdir()), shape)


def _ended(directory: Path, shape: re.Pattern[str]) -> list[Path]:
    """What is in ``directory`` named in ``shape`` whose process (the name's first group,
    when there) has ended."""
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(directory):
            match = shape.fullmatch(entry.name)
            if match is not None and not (match.group(1) and _running(int(match.group(1)))):
                found.append(Path(entry.path))
    return found


def _remove(path: Path) -> Path:
    """Remove a work file or directory (a link in its place, not what it points to), as far
    as allowed: one another user left in a shared directory is theirs to remove."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
    return path


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
