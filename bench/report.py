"""What every benchmark shares: timing, a description of the machine, and writing its own
section of docs/performance.md between `<!-- name:start -->` and `<!-- name:end -->` markers,
leaving the other sections as they are."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DOC_HEADER = (
    "# Performance\n\n"
    "Measured by `make bench` (`.venv/bin/python -m bench`); each section is rewritten by its own\n"
    "benchmark, so rerun it rather than editing the numbers by hand.\n"
)


def median_seconds(action: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """The median wall time of `action` over `repeat` runs, after `warmup` untimed ones."""
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def machine() -> str:
    """CPUs available to us (as `nproc` counts them), the Python, and the OS."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpus} CPU(s) (nproc), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}"
    )


def write_section(name: str, markdown: str, path: Path = PERFORMANCE_DOC) -> None:
    """Put `markdown` between this benchmark's markers, creating the file or section if needed."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else DOC_HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
