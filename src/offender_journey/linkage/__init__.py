"""Who is who across sources: identifiers, the Splink model, and link decisions.

A *source record* is one system's person: the pair (source, offender id), written
``source:offender_id``. Linkage decides which source records are one *person*.
Identifier checks live in :mod:`.identifiers`, nicknames in :mod:`.names`, the
deterministic rules and constraints in :mod:`.clusters`, the probabilistic model
(Splink, the ``link`` extra) in :mod:`.model`, one run in :mod:`.link`, and the
decisions recorded as events in :mod:`.decisions`.
"""
