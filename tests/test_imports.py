"""The import graph: ``index`` is a library that never reaches ``telegram`` or ``bot``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_index_sources_never_import_telegram_or_bot() -> None:
    offenders = {
        str(path.relative_to(ROOT)): name
        for path in (ROOT / "index").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in {"telegram", "bot"}
    }
    assert offenders == {}


def test_importing_index_loads_no_telegram() -> None:
    modules = [
        f"index.{path.stem}" for path in (ROOT / "index").glob("*.py") if path.stem != "__init__"
    ]
    code = (
        f"import sys; import {', '.join(modules)}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'bot')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_numpy_lives_only_in_the_engine() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for folder in ("index", "bot")
        for path in (ROOT / folder).rglob("*.py")
        if "numpy" in imported_modules(path)
    )
    assert users == ["index/engine.py"]
