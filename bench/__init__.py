"""Benchmarks: ``python -m bench`` runs them all, ``python -m bench.<name>`` one of them.

Each module exposes ``main(argv) -> int``. Never run by pytest: timings depend on the machine.
"""
