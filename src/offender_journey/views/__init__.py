"""Views: what counts the fact tables, one module per view.

Each module holds a view's SQL (or per-offender reading) over the fact tables, its
result type, and that result's table and JSON shape; :mod:`.base` says what a view
is. They read fact rows, never events: the rows come from
:mod:`offender_journey.facts`, which runs the folds. :mod:`offender_journey.metrics`
registers the views by name; :mod:`offender_journey.offender` asks them about one
offender.
"""
