"""`make bench`: run every benchmark module, print a summary, end with one JSON line.

Each module `tests/benchmarks/bench_*.py` has `async def run(workdir: Path) -> dict[str, float]`.
Figures carry their units in their names (search_p95_ms, demo_load_100k_s, …).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    package = importlib.import_module("tests.benchmarks")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                   if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    figures: dict[str, float] = {}
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"tests.benchmarks.{name}")
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"stepbot-{name}-") as tmp:
            result = asyncio.run(module.run(Path(tmp)))
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for key, value in result.items():
            print(f"  {key} = {value}", file=sys.stderr)
        figures.update(result)
    sys.stderr.flush()
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
