"""Case reports for panels: one self-contained, accessible HTML page for one person or a cohort.

An IOM panel or a case conference meets about a list of people. :func:`case_of` gathers
what the library knows about one person on a day (status, risk and the IOM rule's
reason, timeline, flagged offences, window summary, recent offences, data quality);
:class:`Pack` puts people in order under a security marking; :func:`render_html` and
:func:`write_html` make the page (the ``report`` extra: jinja2 and matplotlib). See
``docs/report.md`` and ``offender-journey report --help``.

Examples:
    >>> import datetime as dt
    >>> from offender_journey.builder import JourneyBuilder
    >>> from offender_journey.history import Window
    >>> from offender_journey.views.iom import LONDON
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2015-03-02", "robbery")
    >>> _ = j.bail("2015-03-02", c)
    >>> as_of = dt.datetime(2015, 6, 30, 23, tzinfo=dt.UTC)
    >>> case = case_of("O1", j.events, as_of=as_of, day=dt.date(2015, 6, 30),
    ...                window=Window(), rule=LONDON)
    >>> [e.kind.value for e in case.status], case.selection
    (['on_bail'], 'date_of_birth')
"""

from .case import STATUS_ORDER, Case, SourceRecord, case_of, selection_day
from .pack import MARKING, Pack, render_html, require_extra, write_html

__all__ = [
    "MARKING",
    "STATUS_ORDER",
    "Case",
    "Pack",
    "SourceRecord",
    "case_of",
    "render_html",
    "require_extra",
    "selection_day",
    "write_html",
]
