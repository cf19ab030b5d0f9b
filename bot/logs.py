"""Logging for the bot, in one place: the handler and levels the entry point sets, and the
redaction that keeps the bot token and message texts out of every log record.

What the libraries log (python-telegram-bot 22, httpx 0.28, httpcore 1.0, APScheduler 3.11),
checked against a run on the fake Bot API server with every logger at DEBUG:

- ``httpx`` logs each request at INFO as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"``, and the
  URL is ``<base_url><token>/<method>``: the token, on every poll and every reply.
- ``telegram.ext.ExtBot`` (``telegram.Bot`` for a plain ``Bot``) logs at DEBUG ``Set Bot API
  URL: <url with token>``, ``Calling Bot API endpoint `%s` with parameters `%s``` with the
  parameters as a dict (the text of every reply) and ``... finished with return value `%s``` with
  the decoded answer (for ``getUpdates`` the users' messages); at CRITICAL, when updates cannot
  be parsed, the raw updates.
- ``telegram.ext.Application`` logs ``Processing update %s`` with the ``Update`` object, whose
  repr holds the message text, and the same for dropped updates and failed contexts.
- ``telegram.request.BaseRequest`` logs a response it cannot decode, whole.
- ``httpcore.*`` logs connection and HTTP/1.1 events (host, port, status, headers, never a URL
  or a body); ``apscheduler.*`` logs job names and times. Neither holds a text, and both pass
  through the same redaction anyway.
- PTB's ``InvalidToken`` says "The token `<token>` was rejected by the server", and httpx's
  errors may quote a URL, so an exception's text can hold the token too.

The mechanism is a log record factory (``logging.setLogRecordFactory``), because it is the one
place every record passes through, whichever logger creates it and before any handler sees it.
The alternatives fail the requirement: a filter on a handler protects that handler only, not
pytest's ``caplog`` or a handler an operator adds; a filter on a logger sees only records logged
to that very logger (a filter on ``telegram`` never sees ``telegram.ext.ExtBot``'s records, they
reach the parent's handlers without passing its filters), so it would need every originating
logger by name (``httpcore.http11``, ``telegram.ext.ExtBot``, ...) and would miss the next one;
``logging.setLoggerClass`` does not reach loggers the libraries created at import.

The factory finishes each record as it is made: it formats the message with its arguments (for
the ``telegram`` loggers after replacing each argument that is message content by its shape: the
parameter names of a call, the count and kinds of updates, the type and field names of an
object), replaces every secret (the token, its part after the colon, and their URL-quoted forms)
by ``<token>``, and stores the result as a message without arguments. A record's exception is
formatted the same way into ``exc_text`` and ``exc_info`` is cleared, so no formatter can render
the exception object again; handlers that want the exception object itself (error trackers)
get the redacted text instead. Fields passed with ``extra=`` are set after the factory runs and
are not redacted: nothing here or in the libraries logs with ``extra``.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<token>"

# The third-party loggers configure_logging sets, each with the lowest level it shows when the
# chosen level is above DEBUG. At INFO, httpx logs a line for every request (a long poll every
# few seconds, a line per reply) and apscheduler two lines for every run of the feed job: noise,
# so they show warnings only. httpcore logs nothing above DEBUG. telegram's INFO lines are the
# application starting and stopping, worth keeping. At DEBUG all of them show everything,
# redacted.
NOISY_LOGGERS: Mapping[str, int] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "telegram": logging.NOTSET,
}

# The loggers whose arguments may be message content: python-telegram-bot's.
_CONTENT_LOGGERS = "telegram"
# PTB templates whose string arguments are raw data from Telegram.
_RAW_DATA_TEMPLATES = frozenset({'Can not load invalid JSON data: "%s"'})

RecordFactory = Callable[..., logging.LogRecord]


def parse_level(level: str | int) -> int:
    """A logging level from its name in any case ("debug", "INFO") or its number."""
    if isinstance(level, int):
        return level
    text = level.strip()
    if text.isdigit():
        return int(text)
    number = logging.getLevelNamesMapping().get(text.upper())
    if number is None:
        names = ", ".join(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
        raise ValueError(f"unknown log level {level!r}: use one of {names}")
    return number


def configure_logging(level: str | int = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """What the entry point calls before building the application: redaction of ``secrets``
    (the bot token) in every record, a stream handler on the root logger unless one is already
    configured there, and ``level`` on the root and the noisy third-party loggers."""
    number = parse_level(level)
    install_redaction(secrets)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(number)
    for name, quietest in NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(
            number if number <= logging.DEBUG else max(number, quietest)
        )


def install_redaction(secrets: Iterable[str]) -> None:
    """Make every log record created from now on free of ``secrets`` and of Telegram message
    content; calling it again adds secrets to those already redacted."""
    current = logging.getLogRecordFactory()
    if isinstance(current, RedactingRecordFactory):
        current.add_secrets(secrets)
    else:
        logging.setLogRecordFactory(RedactingRecordFactory(current, secrets))


def secret_forms(secret: str) -> set[str]:
    """The strings that give ``secret`` away: itself, its part after the colon (a bot token's
    secret half) and their URL-quoted forms."""
    forms = {secret, secret.partition(":")[2]}
    forms |= {quote(form, safe="") for form in forms}
    return {form for form in forms if form}


class RedactingRecordFactory:
    """A log record factory wrapping the one installed before it; see the module docstring."""

    def __init__(self, previous: RecordFactory, secrets: Iterable[str] = ()) -> None:
        self.previous = previous
        self._forms: tuple[str, ...] = ()
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        forms = set(self._forms)
        for secret in secrets:
            forms |= secret_forms(secret)
        # Longest first, so the whole token goes before its secret half.
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        self.clean(record)
        return record

    def clean(self, record: logging.LogRecord) -> None:
        if record.name == _CONTENT_LOGGERS or record.name.startswith(_CONTENT_LOGGERS + "."):
            record.args = content_free_args(record.msg, record.args)
        try:
            message = record.getMessage()
        except Exception as error:  # a broken log call must not break the bot
            message = f"{record.msg!s} (unformattable log arguments: {type(error).__name__})"
        record.msg = self.redact(message)
        record.args = ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


def content_free_args(template: object, args: Any) -> Any:
    """A PTB record's arguments with message content replaced by its shape."""
    if not args:
        return args
    if template in _RAW_DATA_TEMPLATES:
        return tuple(shape_of_text(arg) for arg in args)
    if isinstance(args, Mapping):
        # logging passes a lone dict argument as the mapping for %(name)s templates.
        if "%(" in str(template):
            return {key: shape(value) for key, value in args.items()}
        return (shape(args),)
    return tuple(shape(arg) for arg in args)


def shape(value: object) -> object:
    """What ``value`` is without what it says: the names of a mapping's keys, the count and
    kinds of a list of updates, the type and fields of a Telegram object; numbers, strings
    and other values as they are (strings are redacted for secrets later)."""
    if isinstance(value, Mapping):
        return shape_of_mapping(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        if all(isinstance(item, int) for item in value):
            return value
        if all(isinstance(item, Mapping) and "update_id" in item for item in value):
            return shape_of_updates(value)
        return f"<{len(value)} items>"
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        # A TelegramObject (Update, Message, ...): its repr holds every field's value.
        try:
            data = to_dict()
        except Exception:
            return f"<{type(value).__name__}>"
        if isinstance(data, Mapping):
            if "update_id" in data:
                return shape_of_mapping(data)
            return f"{type(value).__name__}{shape_of_mapping(data)}"
        return f"<{type(value).__name__}>"
    return value


def shape_of_mapping(value: Mapping[Any, Any]) -> str:
    if "update_id" in value:
        kinds = ", ".join(str(key) for key in value if key != "update_id")
        return f"#{value['update_id']!r} ({kinds})"
    return "{" + ", ".join(str(key) for key in value) + "}"


def shape_of_updates(updates: Sequence[Mapping[Any, Any]]) -> str:
    kinds = Counter(str(key) for update in updates for key in update if key != "update_id")
    count = len(updates)
    listed = ", ".join(f"{number} {kind}" for kind, number in kinds.items())
    return f"<{count} update{'' if count == 1 else 's'}: {listed}>"


def shape_of_text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return f"<{len(str(value))} chars>"
