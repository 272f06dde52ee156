"""Worker processes that end with the command that started them.

A command that shares its work out starts worker processes: an import's line checkers,
a refresh's or a fold's shares. Ended normally, or by Ctrl-C, the command stops them
itself. Killed outright (``kill -9``, the out-of-memory killer) it cannot, and they
would wait for work forever, holding the store and their files open. So each worker
watches for its parent to go, and then ends too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

__all__ = ["end_with_parent"]

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
