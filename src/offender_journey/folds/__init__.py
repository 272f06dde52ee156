"""Folds: one offender's :class:`~offender_journey.history.History` → plain values.

Each module derives one kind of thing from a history and nothing else: the episodes
and flags (:mod:`.episodes`), offences and sanctions (:mod:`.offending`), index
events (:mod:`.reoffending`), previous-sanction bands (:mod:`.history_bands`) and the
oddities the data show (:mod:`.oddities`). They return values, never fact rows:
:func:`offender_journey.facts.derive.derive` turns them into rows.
"""
