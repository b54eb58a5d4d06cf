"""Benchmarks, run by `make bench`: each module prints its own figures.

Every module here has `run(args) -> None`; `python -m benchmarks [name ...]` runs the named
ones (all by default) against the database in DATABASE_URL (the issues' figures are for
PostgreSQL; SQLite works for a quick look).
"""
