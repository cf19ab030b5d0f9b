"""The quality benchmark's smoke run finishes and prints its table (timings are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.quality", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# The second case forces the index/sample fallback, which a checkout with ../shared never takes.
@pytest.mark.parametrize("absent_facqa", [False, True], ids=["default-data", "sample-fallback"])
def test_smoke_run_prints_the_table(absent_facqa: bool, tmp_path: Path) -> None:
    args = ["--facqa", str(tmp_path / "absent")] if absent_facqa else []
    result = run_bench("--smoke", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["system", "R@1", "R@5", "MRR@10"] for line in lines)
    assert any(line.startswith("newsbot Archive.ask ") for line in lines)


def test_missing_data_exits_2_and_says_where(tmp_path: Path) -> None:
    result = run_bench("--facqa", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert str(tmp_path / "absent" / "passages.jsonl") in result.stderr
