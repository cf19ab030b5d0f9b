"""What the benchmark scripts share: plain text tables, and measurements in fresh processes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def format_table(rows: Sequence[Sequence[str]], text_columns: int = 1) -> str:
    """Columns padded to their widest cell; the first ``text_columns`` left-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column < text_columns else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


class MeasurementError(RuntimeError):
    """A measurement's process failed; ``reason`` is the last line of its error output."""

    def __init__(self, kind: str, returncode: int, stderr: str) -> None:
        lines = [line for line in stderr.splitlines() if line.strip()]
        self.reason = lines[-1].strip() if lines else f"exit {returncode}, no output"
        super().__init__(f"measurement {kind} failed (exit {returncode}):\n{stderr[-3000:]}")


def run_child(module: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """One measurement in a fresh interpreter (``python -m module --child SPEC``); its result
    is the last line it prints, as JSON."""
    completed = subprocess.run(
        [sys.executable, "-m", module, "--child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not completed.stdout.strip():
        raise MeasurementError(spec["kind"], completed.returncode, completed.stderr)
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number
