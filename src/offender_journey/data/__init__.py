"""Data files shipped with the library (read with :mod:`importlib.resources`)."""
