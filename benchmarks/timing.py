"""What the benchmarks share: timing one call, and the median of a whole command."""

from __future__ import annotations

import os
import statistics
import subprocess
import time

PROCESS_RUNS = 10  # the measure: the median of 10 runs
# Run commands as an installed bitesearch runs: with its bytecode cached. This sandbox sets
# PYTHONDONTWRITEBYTECODE=1, so every process would compile bitesearch's modules again (about
# 0.1 s), which no installed copy does (pip writes the .pyc files of what it installs).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(func: object, *args: object, **kwargs: object) -> tuple[float, object]:
    """(seconds, result) of one call."""
    began = time.perf_counter()
    result = func(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - began, result


def process_seconds(command: list[str], runs: int = PROCESS_RUNS) -> float:
    """The median wall time of running command `runs` times."""
    subprocess.run(command, check=True, capture_output=True, env=ENV)  # caches the bytecode
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=ENV)
        times.append(time.perf_counter() - began)
    return statistics.median(times)
