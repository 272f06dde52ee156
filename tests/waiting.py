"""Waiting for a real process to reach a state, in tests that drive one from outside."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], seconds: float = 60, every: float = 0.05) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
