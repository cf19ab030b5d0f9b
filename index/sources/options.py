"""How readers treat their input; apart from ``index.sources`` so the fetcher and the feed
reader can use it without importing every reader."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_FILE_MB = 50


@dataclass(frozen=True)
class ReadOptions:
    """How readers treat their input; the command line builds it from the settings."""

    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    fetch_pages: bool = True
