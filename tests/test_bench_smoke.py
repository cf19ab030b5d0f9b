"""The quality benchmark's smoke run finishes and prints its blocks: the table, the ablation
of each ranking feature and the gate (figures and timings are not checked)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from index.rank import FEATURES
from tests.benchrun import run_module

FIGURES = re.compile(r"(?: +\d+\.\d){4}")
GATE = re.compile(
    r"declined: answerable \d+\.\d%, unanswerable \(ours, [1-9]\d*\) \d+\.\d%,"
    r" gold left out \([1-9]\d*\) \d+\.\d%"
)


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("bench.quality", *args, timeout=300)


# The second case forces the index/sample fallback, which a checkout with ../shared never takes.
@pytest.mark.parametrize("absent_facqa", [False, True], ids=["default-data", "sample-fallback"])
def test_smoke_run_prints_every_block(absent_facqa: bool, tmp_path: Path) -> None:
    args = ["--facqa", str(tmp_path / "absent")] if absent_facqa else []
    result = run_bench("--smoke", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["system", "R@1", "R@5", "MRR@10"] for line in lines)
    assert any(line.startswith("newsbot Archive.ask ") for line in lines)
    ablations = [f"newsbot without {feature} " for feature in FEATURES] + ["newsbot BM25 only "]
    for row in ablations:
        # R@1, R@5, MRR@10 and the declined share.
        assert any(FIGURES.fullmatch(line.removeprefix(row)) for line in lines), row
    assert any(GATE.fullmatch(line) for line in lines), result.stdout


def test_missing_data_exits_2_and_says_where(tmp_path: Path) -> None:
    result = run_bench("--facqa", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert str(tmp_path / "absent" / "passages.jsonl") in result.stderr
