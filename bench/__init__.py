"""Benchmarks of Rota's hot paths, run with ``make bench`` (see run.py)."""
