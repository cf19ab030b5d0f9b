"""The ingest benchmark's smoke run finishes and prints its tables (timings are not checked)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.benchrun import has_header, run_module

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("bench.ingest", *args, timeout=600)


# The second case forces the index/sample fallback, which a checkout with ../shared never takes.
@pytest.mark.parametrize("absent_shared", [False, True], ids=["default-data", "sample-fallback"])
def test_smoke_run_prints_the_tables(absent_shared: bool, tmp_path: Path) -> None:
    args = ["--shared", str(tmp_path / "absent")] if absent_shared else []
    result = run_bench("--smoke", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert has_header(lines, "corpus", "articles", "reporter", "found/has")
    assert has_header(lines, "left", "in", "passages", "passages", "articles", "target")
    throughput = ["system", "articles", "passages", "seconds", "articles/s", "peak", "RSS", "MB"]
    assert sum(line.split()[:8] == throughput for line in lines) == 4  # 2 workloads x 2 tables
    assert "target: >= 1000 articles/s with both cores" in lines
    if absent_shared or not (SHARED / "corpus").is_dir():
        assert any(line.startswith("skipped: ") for line in lines)
    else:
        assert has_header(lines, "field", "correct", "total", "share")
        assert has_header(lines, "corpus", "fact", "README", "raw", "text", "cleaner")


def test_missing_data_exits_2_and_says_where(tmp_path: Path) -> None:
    result = run_bench("--shared", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert str(tmp_path / "absent" / "corpus") in result.stderr
