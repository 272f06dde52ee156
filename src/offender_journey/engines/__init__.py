"""Engines: the same per-offender folds, run somewhere other than one loop in one process.

A fold's results merge associatively (see :mod:`offender_journey.metrics`), so an
engine only has to cut the offenders into partitions, fold each partition with
:func:`~offender_journey.metrics.compute` and add the reports. Engines move the
folds; they never re-implement them.

- :mod:`.partitions`: the units of work every engine shares (a Parquet partition
  file, or a range of offender ids in a store) and the fold of one unit.
- :mod:`.dask`: those units as tasks on a Dask cluster (the ``dask`` extra).
"""
