"""How far a long read has got: a total, then counts done, for a bar to show.

Reads over a whole store (refreshing the fact tables, folding every stream, an
export) take a ``progress`` argument: anything with tqdm's ``set_description``,
``reset`` and ``update``, so a ``tqdm`` bar is one as it is. Each stage of the
read names itself, resets the total to what it will go through (offenders), and
reports counts done that add up to that total once the stage ends. Nothing here
imports tqdm: the library only calls the three methods.

Examples:
    >>> class Seen:
    ...     def __init__(self) -> None:
    ...         self.calls: list[tuple[str, object]] = []
    ...     def set_description(self, desc: str) -> None:
    ...         self.calls.append(("stage", desc))
    ...     def reset(self, total: int | None = None) -> None:
    ...         self.calls.append(("total", total))
    ...     def update(self, n: int = 1) -> None:
    ...         self.calls.append(("done", n))
    >>> seen = Seen()
    >>> list(counted("abc", seen, 3, "reading"))
    ['a', 'b', 'c']
    >>> seen.calls
    [('stage', 'reading'), ('total', 3), ('done', 1), ('done', 1), ('done', 1)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

__all__ = ["Progress", "counted"]

T = TypeVar("T")

# Updates per stage, at most (so a bar costs nothing next to the work it reports).
_UPDATES = 200


class Progress(Protocol):
    """What a long read reports to: a ``tqdm`` bar, or anything with these three methods."""

    def set_description(self, desc: str) -> object:
        """Name the stage now running (``"refreshing facts"``)."""
        ...

    def reset(self, total: int | None = None) -> object:
        """Start a stage of ``total`` units, none done yet."""
        ...

    def update(self, n: int = 1) -> object:
        """``n`` more units done."""
        ...


def counted(
    items: Iterable[T],
    progress: Progress | None,
    total: int | None,
    description: str | None = None,
    *,
    size: Callable[[T], int] | None = None,
) -> Iterator[T]:
    """``items`` as they are, with ``progress`` told of each stage's total and counts done.

    ``total`` (and ``description``) start a new stage when given; ``None`` leaves the
    total to the caller. ``size`` says how many units an item stands for (default 1:
    one item, one offender). Counts are sent in batches; once ``items`` end, whatever
    the total has left is sent too, so the counts add up to it (a stage can end short
    of an upper bound, e.g. offenders that turn out to have no event visible).
    """
    if progress is None:
        yield from items
        return
    if description is not None:
        progress.set_description(description)
    if total is not None:
        progress.reset(total)
    step = -(-total // _UPDATES) if total else 1  # at most _UPDATES updates, and the rest
    done = pending = 0
    for item in items:
        yield item
        pending += 1 if size is None else size(item)
        if pending >= step:
            progress.update(pending)
            done, pending = done + pending, 0
    rest = max(pending, (total or 0) - done)
    if rest:
        progress.update(rest)
