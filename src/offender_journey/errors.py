"""One root exception and its few children, so callers can catch what they mean."""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable, Sequence

import attrs


class OffenderJourneyError(Exception):
    """Root of every error this library raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with one input: which field, and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class InvalidEventError(OffenderJourneyError, ValueError):
    """An input could not be read as an event; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(map(str, self.problems)))


class ConflictError(OffenderJourneyError):
    """Events reuse stored ``event_id``s with different content; nothing was appended."""

    #: The field of an input line that the conflict is about.
    field = "event_id"

    def __init__(self, event_ids: Sequence[str]) -> None:
        self.event_ids = tuple(event_ids)
        shown = ", ".join(repr(i) for i in self.event_ids[:5])
        more = f" and {len(self.event_ids) - 5} more" if len(self.event_ids) > 5 else ""
        super().__init__(f"event_id {shown}{more} already stored with different content")


class RecordClashError(ConflictError):
    """Events of two sources would share one stream key; nothing was appended.

    A source record is kept under ``source:offender_id``: an event of the default
    source whose ``offender_id`` is literally ``police:P1`` would land in the police's
    record ``P1``, so the store refuses whichever comes second.
    """

    field = "offender_id"

    def __init__(self, keys: Sequence[str]) -> None:
        self.event_ids = ()
        self.keys = tuple(keys)
        shown = ", ".join(repr(k) for k in self.keys[:5])
        more = f" and {len(self.keys) - 5} more" if len(self.keys) > 5 else ""
        OffenderJourneyError.__init__(
            self, f"record {shown}{more} is already a record of another source"
        )


class ConcurrencyError(OffenderJourneyError):
    """A stream was not at the version the writer expected; nothing was appended."""

    def __init__(self, offender_id: str, expected: int, actual: int) -> None:
        self.offender_id = offender_id
        self.expected = expected
        self.actual = actual
        super().__init__(f"stream {offender_id!r} is at version {actual}, expected {expected}")


class ErasedOffenderError(OffenderJourneyError):
    """Events of people erased from the store were offered again; nothing was appended.

    ``erasures`` maps each such offender id to a sentence naming its erasure (when
    and why), so an import can reject exactly those lines and say why.
    """

    def __init__(self, erasures: dict[str, str]) -> None:
        self.erasures = dict(erasures)
        shown = ", ".join(repr(i) for i in list(self.erasures)[:5])
        more = f" and {len(self.erasures) - 5} more" if len(self.erasures) > 5 else ""
        super().__init__(f"offender {shown}{more} erased from this store; not stored again")


class StoreError(OffenderJourneyError):
    """The store cannot be opened or used (unknown format, closed, corrupt)."""


class StoreBusyError(StoreError):
    """Another process held the store's write lock for longer than we were willing to wait.

    Nothing of the refused transaction was stored; trying again later is safe.
    """


class MissingExtraError(OffenderJourneyError, ImportError):
    """An optional feature needs a package that is not installed."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(f"{feature} needs {package}: pip install 'offender-journey[{extra}]'")


class EngineError(OffenderJourneyError):
    """A distributed engine could not run the work: no scheduler there, or a worker unfit."""


class PlotError(OffenderJourneyError, ValueError):
    """A picture cannot be written: a format matplotlib does not know, or no such folder."""


#: ``errno`` values that mean the machine, not the input or the user: a full disk or
#: quota, a file grown past its limit, a failing or read-only disk.
_MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})
#: SQLite's primary result codes for the same (``SQLITE_IOERR``, ``SQLITE_FULL``).
_MACHINE_SQLITE_CODES = frozenset({10, 13})
#: PostgreSQL's SQLSTATEs for the same (``disk_full``, ``io_error``).
_MACHINE_SQLSTATES = frozenset({"53100", "58030"})


def machine_fault(exc: BaseException) -> BaseException | None:
    """The fault of the machine behind ``exc`` (it, or what it was raised from), if any.

    A full disk or a failing one reaches callers as an ``OSError``, a SQLite or a
    PostgreSQL error, possibly wrapped in one of ours; the command line answers all of
    them alike (exit code 3), however deep in the chain they are.
    """
    seen: BaseException | None = exc
    for _ in range(8):  # a chain is short; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in _MACHINE_ERRNOS:
            return seen
        code = getattr(seen, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _MACHINE_SQLITE_CODES:
            return seen
        if getattr(seen, "sqlstate", None) in _MACHINE_SQLSTATES:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def nearest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices a misspelt ``word`` most likely meant, best first (none when nothing is close).

    Choices that begin with the word, or contain it, come first: ``criminal_damage`` means
    one of the ``criminal_damage_*`` categories more surely than anything spelt alike.

    Examples:
        >>> damage = ["criminal_damage_arson", "criminal_damage_other"]
        >>> nearest("criminal_damage", ["robbery", *damage])
        ['criminal_damage_arson', 'criminal_damage_other']
        >>> nearest("date_fromat", ["date_format", "date_formats", "type"])
        ['date_format', 'date_formats']
    """
    options = list(dict.fromkeys(choices))
    folded = word.casefold()
    within = [c for c in options if folded and folded in c.casefold()]
    within.sort(key=lambda c: (not c.casefold().startswith(folded), len(c)))
    alike = difflib.get_close_matches(word, options, n=n, cutoff=0.7)
    return list(dict.fromkeys(within + alike))[:n]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean x?)`` for the nearest choices, or nothing when none is close."""
    close = nearest(word, choices)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
