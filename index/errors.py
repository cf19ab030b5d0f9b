"""Errors with messages that say what to do next."""


class NewsbotError(Exception):
    """Base class: the message is shown to the user as it is."""


class DatabaseMissingError(NewsbotError):
    """The archive database does not exist or cannot be opened."""

    def __init__(self, path: str, detail: str = "") -> None:
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"No readable archive at {path}{reason}. "
            f"Create it first: newsbot index --db {path} SOURCE..."
        )
        self.path = path


class ArchiveOutdatedError(NewsbotError):
    """The archive was written by an older newsbot and must be upgraded first."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"The archive at {path} was written by an older newsbot. Upgrade it once with"
            f" newsbot index --db {path} SOURCE... (your sources; nothing is lost)."
        )


class DatabaseWriteError(NewsbotError):
    """The archive cannot be created or written."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"Cannot write the archive at {path} ({detail}). Check that the folder exists and"
            " is writable, or give another path with --db."
        )


class ReindexBusyError(NewsbotError):
    """A reindex is already running."""


class WriterBusyError(NewsbotError):
    """Another process is writing to the archive."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"Another newsbot index or /reindex is writing to {path}. Wait for it to finish,"
            " then run this again."
        )
