"""Run every benchmark module of this package (each one's ``main``), in name order."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from typing import cast

import bench


def main() -> int:
    status = 0
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        run = getattr(module, "main", None)
        if not callable(run):
            continue
        status |= cast(Callable[[list[str]], int], run)([])
        print()
    return status


if __name__ == "__main__":
    sys.exit(main())
