"""The scale benchmark's smoke run finishes and prints its tables (timings are not checked)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.benchrun import has_header, run_module

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("bench.scale", *args, timeout=120)


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"{CORPUS} is missing: its term statistics make the passages"
)
def test_smoke_run_prints_the_table() -> None:
    result = run_bench("--smoke")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert has_header(lines, "system", "passages", "build", "s", "peak", "MB", "p50", "ms")
    for system in ("newsbot BM25Engine", "newsbot Archive.ask", "bm25s", "SQLite FTS5"):
        assert any(line.startswith(system) for line in lines), system
    assert any(line.startswith("rank-bm25 BM25Okapi") for line in lines)
    assert any("check, ours against rank-bm25" in line and "passed" in line for line in lines)
    assert has_header(lines, "target", "goal", "measured", "verdict")
    assert any(line.startswith("Lucene 8 with IndonesianAnalyzer: ") for line in lines)


def test_missing_data_exits_2_and_says_where(tmp_path: Path) -> None:
    result = run_bench("--shared", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert str(tmp_path / "absent" / "corpus") in result.stderr
