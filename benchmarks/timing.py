"""What the benchmarks share: timing one call, and the median of a whole command."""

from __future__ import annotations

import statistics
import subprocess
import time

PROCESS_RUNS = 10


def timed(func: object, *args: object, **kwargs: object) -> tuple[float, object]:
    """(seconds, result) of one call."""
    began = time.perf_counter()
    result = func(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - began, result


def process_seconds(command: list[str], runs: int = PROCESS_RUNS) -> float:
    """The median wall time of running command `runs` times."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)
