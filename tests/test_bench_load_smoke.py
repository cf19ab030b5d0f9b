"""The load benchmark's smoke run finishes and prints its tables (timings are not checked)."""

from __future__ import annotations

import subprocess

from tests.benchrun import has_header, run_module


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("bench.load", *args, timeout=120)


def test_smoke_run_prints_the_tables() -> None:
    result = run_bench("--smoke")
    lines = result.stdout.splitlines()
    assert has_header(lines, "run,", "questions", "sent", "answered", "unanswered"), result.stdout
    for run in ("during /reindex", "without reindex"):
        for part in ("all", "private", "groups"):
            assert any(line.startswith(f"{run}, {part} ") for line in lines), (run, part)
    for part in ("all", "private", "groups"):
        assert any(line.startswith(f"ratio during / without, {part} ") for line in lines), part
    assert has_header(lines, "seconds", "after", "/reindex", "sent", "answered")
    assert any(line.startswith("newsbot index: ") for line in lines)
    assert any(line.startswith("  reindex: ") for line in lines)
    assert any(line.startswith("rejected calls (fake.errors): ") for line in lines)
    assert any(line.startswith("target: p95 from question to reply") for line in lines)
    assert any("load average" in line for line in lines)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_options_exit_2() -> None:
    result = run_bench("--smoke", "--baseline", "9")
    assert result.returncode == 2
    assert "--baseline may not be longer than --seconds" in result.stderr
