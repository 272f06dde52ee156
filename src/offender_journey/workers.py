"""Worker processes that end with the command that started them.

A command that shares its work out starts worker processes: an import's line checkers,
a refresh's or a fold's shares. Ended normally, or by Ctrl-C, the command stops them
itself. Killed outright (``kill -9``, the out-of-memory killer) it cannot, and they
would wait for work forever, holding the store and their files open. So each worker
watches for its parent to go, and then ends too. And a forked worker shares its parent's
memory only as long as neither writes to it: :func:`memory_shared_with_workers` keeps it
so, for a command's processes together to hold little more than one.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = ["end_with_parent", "memory_shared_with_workers", "start_method"]

#: Seconds between two looks at the parent process.
WATCH_EVERY = 1.0


def end_with_parent(clean_up: Callable[[], None] | None = None) -> None:
    """In a worker process: once the process that started it is gone, ``clean_up`` and exit.

    A daemon thread looks every :data:`WATCH_EVERY` seconds. A process whose parent has
    ended is given another parent, so its parent's id changes; this is what it looks for,
    the same on every system. Call it from a pool's initializer: the parent it watches
    is the one multiprocessing started it from, so a command killed while the worker was
    still starting is noticed too.
    """
    import multiprocessing  # start-up: only worker processes need these
    import threading

    started_by = multiprocessing.parent_process()
    parent = os.getppid() if started_by is None else started_by.pid

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_EVERY)
        try:
            if clean_up is not None:
                clean_up()
        finally:
            os._exit(1)  # at once: the work it was given has no one to go to

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def start_method() -> BaseContext:
    """How to start workers: on Linux, a fork of this process when it runs no other
    thread; else a fresh interpreter (``spawn``), or elsewhere the platform's default.

    A fork copies every thread's memory as it stands, locks included, but only the
    forking thread goes on in the worker. Were another thread inside SQLite at that
    moment (closing a connection, which it does without holding Python's lock), SQLite's
    own allocator lock would be copied held, and the worker would wait for it forever.
    The commands run no other thread (their progress bar has no monitor thread), so they
    fork, and their workers share their memory (asked for by name: from Python 3.14 the
    default on Linux is no longer a fork). A notebook, a service or a test runner with
    threads of its own starts fresh interpreters instead: slower to start, sharing
    nothing, and what they are given must be importable (not defined in the notebook).
    """
    import multiprocessing  # start-up: only commands that start workers need these
    import threading

    if threading.active_count() > 1:
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork" if sys.platform == "linux" else None)


@contextlib.contextmanager
def memory_shared_with_workers() -> Iterator[None]:
    """Around forking workers and waiting for them: keep shared what they share with us.

    A forked worker starts sharing all of its parent's memory, and a page becomes a copy
    of its own once either process writes to it. Two things write to pages for nothing:
    the reuse of memory freed but kept by the C allocator (the import's page cache, a
    batch let go), and the cycle collector marking the objects it looks through. So the
    freed memory is handed back to the system before the fork (GNU libc's
    ``malloc_trim``; elsewhere nothing is done), and the objects alive at the fork are
    left out of collection until the workers are done (``gc.freeze``, which the workers
    inherit): they are the program and its data, not garbage.
    """
    import ctypes  # start-up: only commands that start workers need it

    gc.freeze()
    with contextlib.suppress(OSError, AttributeError, TypeError):  # not GNU libc: nothing done
        ctypes.CDLL(None).malloc_trim(0)
    try:
        yield
    finally:
        gc.unfreeze()
