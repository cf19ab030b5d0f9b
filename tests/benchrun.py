"""Running a benchmark's smoke mode as the user would, for the bench smoke tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` from the checkout's root, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def has_header(lines: list[str], *cells: str) -> bool:
    """A line of the output starts with these cells, as a table's header does."""
    return any(line.split()[: len(cells)] == list(cells) for line in lines)
