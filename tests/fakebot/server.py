"""A fake Telegram Bot API server for end-to-end tests of the bot through the real PTB client.

The bot is pointed at it with ``ApplicationBuilder().token(fake.token).base_url(fake.base_url)``.
Requests arrive as ``POST /bot<token>/<method>``. PTB sends its parameters form-urlencoded, with
strings as they are and every other value JSON-encoded (``chat_id=5``, ``disable_notification=
true``, ``reply_markup={"inline_keyboard": ...}``), an empty body when there are none, and
multipart only to upload files; the fake parses exactly that.

Updates reach the bot through getUpdates or, while a webhook is set, as POSTs to the bot's
local listener (see deliver_webhooks_to). Messages the bot sends pass Telegram's flood control
(tests/fakebot/flood.py) unless a test turns ``limits`` off.

The server runs in daemon threads (stdlib ``ThreadingHTTPServer``), so it serves a PTB
application running in any event loop, including the test's own. All state sits behind one
condition variable; what tests get back are snapshots the fake never changes afterwards.
"""

import asyncio
import json
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakebot.entities import (
    MAX_TEXT_UTF16,
    EmptyTextError,
    Entity,
    EntityParseError,
    FormattedText,
    check_entity_count,
    clean_and_trim,
    detect_entities,
    parse_html,
    utf16_len,
)
from tests.fakebot.flood import FloodControl
from tests.fakebot.webhook import (
    SECRET_TOKEN,
    WEBHOOK_PORTS,
    check_local_url,
    post_update,
)

JSONDict = dict[str, Any]
T = TypeVar("T")

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
_BAD_RESULT = "can't parse inline query result: "
_CHAT_ACTIONS = frozenset(
    """typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note""".split()
)
_BUTTON_ACTIONS = tuple(
    """url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat
    switch_inline_query_chosen_chat copy_text callback_game pay""".split()
)
_SCOPE_TYPES = frozenset(
    """default all_private_chats all_group_chats all_chat_administrators chat
    chat_administrators chat_member""".split()
)
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_COMMANDS = 100
_MAX_INLINE_RESULTS = 50
_MAX_RESULT_ID_BYTES = 64
_MAX_NEXT_OFFSET_BYTES = 64
_MAX_INLINE_QUERY_CHARS = 256
_INLINE_CHAT_TYPES = frozenset({"sender", "private", "group", "supergroup", "channel"})
_INLINE_RESULT_TYPES = frozenset(
    """article audio contact document game gif location mpeg4_gif photo sticker venue video
    voice""".split()
)
# Deep-link payloads (t.me/<bot>?start=<payload>) and InlineQueryResultsButton start parameters.
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Webhook delivery: attempts per update before Telegram gives up on it, and the first backoff,
# doubled after every failed attempt (0.05, 0.1, 0.2, 0.4 s).
_WEBHOOK_ATTEMPTS = 5
_WEBHOOK_BACKOFF_SECONDS = 0.05
_WEBHOOK_TIMEOUT_SECONDS = 10.0
_WEBHOOK_DEFAULT_CONNECTIONS = 40
# How often a pending long poll checks whether its client hung up; wake-ups for new updates
# are immediate, so this only bounds how long an abandoned poll lingers.
_HANGUP_CHECK_SECONDS = 0.05
# PTB cancels its long poll and polls again at once when it stops; the cancelled connection
# closes a moment later. Telegram would answer the older poll with 409, which nobody reads, so
# the fake only reports a conflict if the older client is still there after this grace time.
_CONFLICT_GRACE_SECONDS = 1.0
_WAIT_POLL_SECONDS = 0.005
_LOG_TAIL = 20


@dataclass(frozen=True)
class User:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    is_bot: bool = False
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class Chat:
    """A private chat (id == the user's id) or a supergroup (negative id)."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class Message:
    """A message as Telegram stores it.

    ``text`` and ``entities`` are the parsed result; ``raw_text`` is what was sent (the HTML
    source when the bot used parse_mode HTML). ``delivered`` says, for a user's message,
    whether Telegram would have handed it to the bot; it is always True for the bot's own.
    ``via_bot`` is set on a message a user posted by choosing the bot's inline result.

    ``at`` is time.monotonic() when the fake stored the message (when the user sent it, or when
    the bot's sendMessage was accepted); edits keep it, and the edited state has ``edited_at``.
    """

    chat: Chat
    message_id: int
    sender: User
    date: int
    text: str
    entities: tuple[Entity, ...] = ()
    raw_text: str = ""
    parse_mode: str | None = None
    reply_to: "Message | None" = None
    reply_markup: JSONDict | None = None
    edit_date: int | None = None
    delivered: bool = True
    via_bot: User | None = None
    at: float = 0.0
    edited_at: float | None = None

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """The rows of the attached inline keyboard (empty if there is none)."""
        markup = _inline_markup(self.reply_markup)
        return [list(row) for row in markup["inline_keyboard"]] if markup else []

    def to_api(self, *, with_reply: bool = True) -> JSONDict:
        data: JSONDict = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
            "text": self.text,
        }
        if self.entities:
            data["entities"] = [dict(entity) for entity in self.entities]
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.via_bot is not None:
            data["via_bot"] = self.via_bot.to_api()
        inline = _inline_markup(self.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return data


@dataclass(frozen=True)
class Call:
    """One request the fake answered. ``status`` 0 means the client hung up before the answer."""

    seq: int
    method: str
    params: dict[str, str]
    status: int
    result: Any = None
    description: str | None = None
    expected: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        shown = {
            key: (text if len(text := str(value)) <= 60 else text[:57] + "...")
            for key, value in self.params.items()
        }
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        marker = " (expected)" if self.expected else ""
        return f"#{self.seq} {self.method or '<no method>'} {shown} -> {outcome}{marker}"


@dataclass(frozen=True)
class InlineAnswer:
    """An accepted answerInlineQuery: the results as the bot sent them (parsed JSON)."""

    query_id: str
    results: tuple[JSONDict, ...]
    next_offset: str = ""
    is_personal: bool = False
    cache_time: int | None = None
    button: JSONDict | None = None

    @property
    def result_ids(self) -> list[str]:
        return [str(result["id"]) for result in self.results]


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver an update to the webhook; ``status`` 0 means no HTTP answer."""

    update_id: int
    status: int
    at: float
    attempt: int = 1

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class _InlineQuery:
    id: str
    user: User
    query: str
    offset: str
    chat_type: str


@dataclass(frozen=True)
class _ResultMessage:
    """What a client posts when the user chooses an inline result."""

    text: FormattedText
    raw_text: str
    parse_mode: str | None
    reply_markup: JSONDict | None


@dataclass(frozen=True)
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None


@dataclass
class _Injection:
    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class ErrorExpectation:
    """A rejection a test provokes on purpose; see FakeTelegram.expect_error."""

    description: str | None
    method: str | None
    matched: list[Call] = field(default_factory=list)

    def matches(self, method: str, description: str) -> bool:
        return (self.method is None or self.method.lower() == method.lower()) and (
            self.description is None or self.description in description
        )


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        injected: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.injected = injected


class _TextTooLongError(ValueError):
    """The parsed text is longer than 4096 UTF-16 code units."""


class _ClientGoneError(Exception):
    """The client closed the connection while its long poll was pending."""


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _inline_markup(markup: JSONDict | None) -> JSONDict | None:
    return markup if markup is not None and "inline_keyboard" in markup else None


def _client_gone(connection: socket.socket) -> bool:
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _parse_body(content_type: str, body: bytes) -> dict[str, str]:
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _bad_request(
            f"the fake Telegram server does not parse {kind or 'untyped'} bodies "
            "(PTB uses multipart only to upload files, which the fake does not emulate)"
        )
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise _bad_request(f"can't parse the request body: {exc}") from exc


class _Params:
    """Form parameters, typed the way Telegram reads them."""

    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw

    def text(self, name: str) -> str | None:
        return self.raw.get(name)

    def integer(self, name: str) -> int | None:
        value = self.raw.get(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise _bad_request(f'parameter "{name}" must be an integer') from None

    def number(self, name: str) -> float | None:
        value = self.raw.get(name)
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            raise _bad_request(f'parameter "{name}" must be a number') from None

    def flag(self, name: str) -> bool:
        return self.raw.get(name) in ("true", "True", "1")

    def json(self, name: str, what: str) -> Any:
        value = self.raw.get(name)
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise _bad_request(f"can't parse {what} JSON object") from None


def _as_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise _bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            data = button.get("callback_data")
            if "callback_data" in button and not (
                isinstance(data, str)
                and 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA_BYTES
            ):
                raise _bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if "url" in button and not (
                isinstance(url, str) and url.startswith(("http://", "https://", "tg://"))
            ):
                raise _bad_request("BUTTON_URL_INVALID")


def _parse_text(raw: str, parse_mode: str | None) -> FormattedText:
    """Message text as Telegram stores it: parsed with ``parse_mode``, cleaned and trimmed.

    Raises EntityParseError, EmptyTextError or _TextTooLongError for the caller to word the
    way its method does, and _ApiError for a parse mode the fake does not emulate.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        parsed = parse_html(raw)
    elif mode in ("markdown", "markdownv2"):
        raise _bad_request(
            f"the fake Telegram server does not emulate parse_mode {parse_mode}; use HTML"
        )
    elif not mode:
        parsed = FormattedText(raw, ())
    else:
        raise _bad_request("unsupported parse_mode")
    final = clean_and_trim(parsed)
    check_entity_count(final.entities)
    if utf16_len(final.text) > MAX_TEXT_UTF16:
        raise _TextTooLongError
    return final


def _inline_result(result: object, seen: set[str]) -> tuple[JSONDict, _ResultMessage]:
    """Checks one InlineQueryResult as Telegram does; returns it and the message it posts."""
    if not isinstance(result, dict):
        raise _bad_request(f"{_BAD_RESULT}InlineQueryResult must be an Object")
    kind = result.get("type")
    if not isinstance(kind, str) or kind not in _INLINE_RESULT_TYPES:
        shown = kind if isinstance(kind, str) else ""
        raise _bad_request(
            f'{_BAD_RESULT}type "{shown}" is unsupported for the inline query result'
        )
    if kind != "article":
        raise _bad_request(
            f"the fake Telegram server does not emulate inline query results of type {kind}; "
            "use article"
        )
    result_id = result.get("id")
    if not isinstance(result_id, str):
        raise _bad_request(f'{_BAD_RESULT}Field "id" must be of type String')
    if not 1 <= len(result_id.encode("utf-8")) <= _MAX_RESULT_ID_BYTES:
        raise _bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise _bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    title = result.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _bad_request(f'{_BAD_RESULT}Field "title" must be a non-empty String')
    for key in ("description", "url"):
        if key in result and not isinstance(result[key], str):
            raise _bad_request(f'{_BAD_RESULT}Field "{key}" must be of type String')
    markup = result.get("reply_markup")
    if markup is not None:
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise _bad_request(
                f'{_BAD_RESULT}Field "reply_markup" must be an InlineKeyboardMarkup'
            )
        _check_inline_keyboard(markup["inline_keyboard"])
    content = result.get("input_message_content")
    if not isinstance(content, dict):
        raise _bad_request(f'{_BAD_RESULT}Field "input_message_content" must be of type Object')
    if "message_text" not in content:
        raise _bad_request(
            "the fake Telegram server emulates only text input_message_content "
            "(InputTextMessageContent)"
        )
    raw = content["message_text"]
    parse_mode = content.get("parse_mode") or None
    if not isinstance(raw, str):
        raise _bad_request(f'{_BAD_RESULT}Field "message_text" must be of type String')
    if not (parse_mode is None or isinstance(parse_mode, str)):
        raise _bad_request(f'{_BAD_RESULT}Field "parse_mode" must be of type String')
    if content.get("entities"):
        raise _bad_request(
            'the fake Telegram server does not emulate the "entities" field; use parse_mode HTML'
        )
    try:
        text = _parse_text(raw, parse_mode)
    except EntityParseError as exc:
        raise _bad_request(f"{_BAD_RESULT}Can't parse entities: {exc}") from None
    except EmptyTextError:
        raise _bad_request("MESSAGE_EMPTY") from None
    except _TextTooLongError:
        raise _bad_request("MESSAGE_TOO_LONG") from None
    return result, _ResultMessage(text, raw, parse_mode, markup)


def _check_results_button(button: object) -> None:
    """An InlineQueryResultsButton: a text and either a Web App or a start parameter."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad_request("can't parse inline query results button JSON object")
    start = button.get("start_parameter")
    if "start_parameter" in button and not (
        isinstance(start, str) and _START_PARAMETER.fullmatch(start)
    ):
        raise _bad_request("START_PARAM_INVALID")


def _retry_after_error(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 that plays Telegram for one bot.

    Use as a context manager or call start()/stop(). Tests play users with send(), press(),
    open_start_link(), inline_query() and choose_inline_result(), then read what the bot did
    with messages_in(), sent_to(), replies_to(), edits_of(), inline_answer() and calls.

    ``reads_all_group_messages`` and ``supports_inline_queries`` are the bot's BotFather
    settings as getMe reports them (privacy mode per group is group()'s ``privacy``).
    ``limits`` turns Telegram's flood control on (see tests/fakebot/flood.py for the exact
    rules); ``clock`` is the clock flood control counts with, so that a test can step through
    its windows without sleeping.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "newsbot_test_bot",
        bot_id: int | None = None,
        bot_first_name: str = "Newsbot Test",
        reads_all_group_messages: bool = False,
        supports_inline_queries: bool = True,
        limits: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.reads_all_group_messages = reads_all_group_messages
        self.supports_inline_queries = supports_inline_queries
        self.bot_user = User(
            id=bot_id if bot_id is not None else int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            is_bot=True,
            username=bot_username,
        )
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._privacy: dict[int, bool] = {}
        self._messages: dict[int, dict[int, Message]] = {}
        self._last_message_id: dict[int, int] = {}
        self._edits: list[Message] = []
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = frozenset()
        self._poll_generation = 0
        self._pending_polls = 0
        self._open_queries: set[str] = set()
        self._next_query_id = 1
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._calls: list[Call] = []
        self._expectations: list[ErrorExpectation] = []
        self._injections: list[_Injection] = []
        self._limits = limits
        self._flood = FloodControl(clock)
        self._inline_queries: dict[str, _InlineQuery] = {}
        self._inline_answers: dict[str, InlineAnswer] = {}
        self._inline_messages: dict[tuple[str, str], _ResultMessage] = {}
        self._webhook: _Webhook | None = None
        self._webhook_target: str | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._deliveries: list[WebhookDelivery] = []
        self._delivery_thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[_Params, socket.socket], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "answercallbackquery": self._answer_callback_query,
            "answerinlinequery": self._answer_inline_query,
            "getchat": self._get_chat,
            "close": self._always_true,
            "logout": self._always_true,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeTelegram":
        """Binds a free port on 127.0.0.1 and serves in daemon threads."""
        if self._server is not None or self._stopping:
            raise RuntimeError("a FakeTelegram serves once: create a new one")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # The accept loop notices stop() only between polls, so poll often: it is cheap.
            kwargs={"poll_interval": 0.01},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        self._delivery_thread = threading.Thread(
            target=self._deliver_webhooks, name="fake-telegram-webhook", daemon=True
        )
        self._delivery_thread.start()
        return self

    def stop(self) -> None:
        """Stops serving; pending long polls are answered at once and connections closed.

        Webhook delivery stops too (after the attempt in progress, if any).
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        thread.join()
        server.server_close()
        server.close_connections(timeout=2.0)
        if self._delivery_thread is not None:
            self._delivery_thread.join(_WEBHOOK_TIMEOUT_SECONDS + 1.0)
        self._server = self._thread = self._delivery_thread = None

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(); PTB appends the token and the method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url(); file downloads are answered with 404."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the world: users, chats and what they do ------------------------------------------

    def user(
        self,
        id: int,
        first_name: str,
        language_code: str | None = "id",
        username: str | None = None,
    ) -> User:
        if id <= 0:
            raise ValueError("user ids are positive")
        user = User(id, first_name, username=username, language_code=language_code)
        with self._cond:
            self._users[id] = user
        return user

    def private_chat(self, user: User) -> Chat:
        """The user's private chat with the bot (the user has pressed Start)."""
        chat = Chat(user.id, "private", first_name=user.first_name, username=user.username)
        with self._cond:
            self._users[user.id] = user
            self._add_chat(chat, privacy=False)
        return chat

    def group(self, chat_id: int, title: str, *, privacy: bool = True) -> Chat:
        """A supergroup with the bot in it; ``privacy`` emulates the bot's privacy mode there."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = Chat(chat_id, "supergroup", title=title)
        with self._cond:
            self._add_chat(chat, privacy=privacy)
        return chat

    def set_privacy(self, chat: Chat | int, enabled: bool) -> None:
        with self._cond:
            known = self._known_chat(chat)
            if known.type == "private":
                raise ValueError("privacy mode only applies to groups")
            self._privacy[known.id] = enabled

    def send(
        self,
        chat: Chat | int,
        user: User | int,
        text: str,
        reply_to: "Message | int | None" = None,
    ) -> Message:
        """The user sends ``text``; an Update is queued only if Telegram would deliver it.

        The returned message's ``delivered`` says which.
        """
        with self._cond:
            known_chat = self._known_chat(chat)
            sender = self._known_user(user)
            self._check_member(known_chat, sender)
            target = None
            if reply_to is not None:
                target_id = reply_to.message_id if isinstance(reply_to, Message) else reply_to
                target = self._messages[known_chat.id].get(target_id)
                if target is None:
                    raise ValueError(f"no message {target_id} in chat {known_chat.id}")
            try:
                cleaned = clean_and_trim(FormattedText(text, ()))
            except EmptyTextError:
                raise ValueError("Telegram clients do not send empty messages") from None
            return self._post_user_message(
                Message(
                    chat=known_chat,
                    message_id=self._next_message_id(known_chat.id),
                    sender=sender,
                    date=int(time.time()),
                    text=cleaned.text,
                    entities=detect_entities(cleaned.text),
                    raw_text=text,
                    reply_to=target,
                    at=time.monotonic(),
                )
            )

    def open_start_link(self, user: User | int, payload: str) -> Message:
        """The user opens t.me/<bot>?start=<payload>: the client opens (or creates) the private
        chat with the bot and sends "/start <payload>" from the user."""
        if not _START_PARAMETER.fullmatch(payload):
            raise ValueError(
                f"a start payload is 1-64 characters of A-Z, a-z, 0-9, _ and -; got {payload!r}"
            )
        with self._cond:
            sender = self._known_user(user)
            chat = self._chats.get(sender.id) or self.private_chat(sender)
            return self.send(chat, sender, f"/start {payload}")

    def press(
        self, chat: Chat | int, user: User | int, message_id: int, callback_data: str
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback query id."""
        with self._cond:
            known_chat = self._known_chat(chat)
            presser = self._known_user(user)
            message = self._messages[known_chat.id].get(message_id)
            if message is None or not message.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {known_chat.id}")
            offered = [b.get("callback_data") for row in message.inline_keyboard for b in row]
            if callback_data not in offered:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"it offers {offered}"
                )
            query_id = self._new_query_id()
            self._open_queries.add(query_id)
            self._queue_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": presser.to_api(),
                    "message": message.to_api(),
                    "chat_instance": str(known_chat.id),
                    "data": callback_data,
                },
            )
            return query_id

    def inline_query(
        self, user: User | int, query: str, offset: str = "", chat_type: str = "private"
    ) -> str:
        """The user types "@<bot> <query>" in a chat of ``chat_type``; returns the query id.

        ``chat_type`` is the Bot API's: "sender" (the user's private chat with the bot),
        "private", "group", "supergroup" or "channel".
        """
        if not self.supports_inline_queries:
            raise ValueError(
                "the bot does not support inline queries (supports_inline_queries=False), so "
                "clients do not send them"
            )
        if chat_type not in _INLINE_CHAT_TYPES:
            raise ValueError(
                f"chat_type is one of {sorted(_INLINE_CHAT_TYPES)}; got {chat_type!r}"
            )
        if len(query) > _MAX_INLINE_QUERY_CHARS:
            raise ValueError(f"inline queries are at most {_MAX_INLINE_QUERY_CHARS} characters")
        with self._cond:
            sender = self._known_user(user)
            inline = _InlineQuery(self._new_query_id(), sender, query, offset, chat_type)
            self._inline_queries[inline.id] = inline
            self._queue_update(
                "inline_query",
                {
                    "id": inline.id,
                    "from": sender.to_api(),
                    "query": query,
                    "offset": offset,
                    "chat_type": chat_type,
                },
            )
            return inline.id

    def choose_inline_result(
        self, user: User | int, query_id: str, result_id: str, chat: Chat | int
    ) -> Message:
        """The user picks a result the bot answered ``query_id`` with, in ``chat``.

        The client posts the result's input_message_content as the user's message "via" the
        bot. It reaches the bot as a message update only if Telegram would deliver it (always
        in the private chat with the bot; in a group with privacy mode on, Telegram delivers
        "messages sent via this bot"). No chosen_inline_result update is queued.
        """
        with self._cond:
            sender = self._known_user(user)
            known_chat = self._known_chat(chat)
            inline = self._inline_queries.get(query_id)
            if inline is None:
                raise ValueError(f"no inline query {query_id!r}")
            if inline.user.id != sender.id:
                raise ValueError(
                    f"inline query {query_id} is {inline.user.first_name}'s, not "
                    f"{sender.first_name}'s"
                )
            answer = self._inline_answers.get(query_id)
            if answer is None:
                raise ValueError(
                    f"the bot has not answered inline query {query_id}: there is nothing to choose"
                )
            content = self._inline_messages.get((query_id, result_id))
            if content is None:
                raise ValueError(
                    f"the answer to inline query {query_id} has no result {result_id!r}; it "
                    f"offers {answer.result_ids}"
                )
            self._check_member(known_chat, sender)
            return self._post_user_message(
                Message(
                    chat=known_chat,
                    message_id=self._next_message_id(known_chat.id),
                    sender=sender,
                    date=int(time.time()),
                    text=content.text.text,
                    entities=content.text.entities,
                    raw_text=content.raw_text,
                    parse_mode=content.parse_mode,
                    reply_markup=content.reply_markup,
                    via_bot=self.bot_user,
                    at=time.monotonic(),
                )
            )

    # -- webhooks, flood control and injected failures ----------------------------------------

    def deliver_webhooks_to(self, local_url: str) -> None:
        """Where updates for the webhook really go: the bot's local listener (plain HTTP on
        127.0.0.1), as a reverse proxy behind the public https URL would forward them.

        While a webhook is set, a background thread POSTs each update there as JSON, in order
        and one at a time, retrying a failed attempt (no answer, or a status other than 2XX)
        up to 5 attempts in all with a doubling backoff from 0.05 s, then giving the update up
        as Telegram does. Every attempt is recorded in webhook_deliveries.
        """
        check_local_url(local_url)
        with self._cond:
            self._webhook_target = local_url
            self._cond.notify_all()

    def post_update_to_webhook(self, update: JSONDict, secret: str | None) -> int:
        """POSTs ``update`` to the local webhook listener with ``secret`` in the secret-token
        header (None: no header), as a forger would; returns the HTTP status (0: no answer).

        Not recorded in webhook_deliveries and not taken from the update queue.
        """
        with self._cond:
            target = self._webhook_target
        if target is None:
            raise ValueError("no local webhook listener: call deliver_webhooks_to() first")
        status, _ = post_update(target, update, secret, _WEBHOOK_TIMEOUT_SECONDS)
        return status

    @property
    def limits(self) -> bool:
        """Whether flood control is on. While it is off, messages are neither refused nor
        counted."""
        with self._cond:
            return self._limits

    @limits.setter
    def limits(self, enabled: bool) -> None:
        with self._cond:
            self._limits = enabled

    def inject_error(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail with ``status`` and ``description``
        (and ``parameters.retry_after`` if given) before the fake looks at them.

        Such failures are marked expected: they do not count for assert_no_errors().
        """
        if method.lower() not in self._methods:
            raise ValueError(f"the fake does not serve {method!r}")
        if status == 200 or not 400 <= status <= 599:
            raise ValueError("an injected failure needs an error status (4xx or 5xx)")
        if times < 1:
            raise ValueError("times is at least 1")
        with self._cond:
            self._injections.append(
                _Injection(method.lower(), status, description, retry_after, times)
            )

    # -- reading what happened ---------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every answered request, in the order the answers were given."""
        with self._cond:
            return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [call for call in self._calls if call.method.lower() == method.lower()]

    @property
    def pending_polls(self) -> int:
        """How many getUpdates requests are waiting for an update right now."""
        with self._cond:
            return self._pending_polls

    @property
    def errors(self) -> list[Call]:
        """Every rejected call, including those marked as expected."""
        with self._cond:
            return [call for call in self._calls if call.status not in (0, 200)]

    @property
    def unexpected_errors(self) -> list[Call]:
        return [call for call in self.errors if not call.expected]

    def assert_no_errors(self) -> None:
        unexpected = self.unexpected_errors
        if unexpected:
            listing = "\n".join(f"  {call}" for call in unexpected)
            raise AssertionError(f"the fake Telegram rejected calls:\n{listing}")

    @contextmanager
    def expect_error(
        self, description: str | None = None, *, method: str | None = None
    ) -> Iterator[ErrorExpectation]:
        """Marks rejections inside the block whose description contains ``description``.

        Marked calls do not count for assert_no_errors(); leaving the block without any
        matching rejection fails the test.
        """
        expectation = ErrorExpectation(description, method)
        with self._cond:
            self._expectations.append(expectation)
        try:
            yield expectation
        finally:
            with self._cond:
                self._expectations.remove(expectation)
        if not expectation.matched:
            raise AssertionError(
                f"expected a rejected {method or 'call'} matching {description!r}, got none\n"
                + self.describe_calls()
            )

    def messages_in(self, chat: Chat | int) -> list[Message]:
        """Current state of every message in the chat, users' and the bot's, oldest first."""
        with self._cond:
            return list(self._messages[self._known_chat(chat).id].values())

    def sent_to(self, chat: Chat | int) -> list[Message]:
        """Current state of the bot's messages in the chat, oldest first."""
        return [message for message in self.messages_in(chat) if message.from_bot]

    def message(self, chat: Chat | int, message_id: int) -> Message | None:
        with self._cond:
            return self._messages[self._known_chat(chat).id].get(message_id)

    def edits_of(self, chat: Chat | int, message_id: int) -> list[Message]:
        """The message as it was after each successful edit, oldest first."""
        with self._cond:
            chat_id = self._known_chat(chat).id
            return [m for m in self._edits if (m.chat.id, m.message_id) == (chat_id, message_id)]

    def replies_to(self, chat: Chat | int, message: "Message | int") -> list[Message]:
        """Current state of the bot's messages in the chat that reply to ``message``, oldest
        first; with Message.at, the latency of each answer."""
        message_id = message.message_id if isinstance(message, Message) else message
        return [
            sent
            for sent in self.sent_to(chat)
            if sent.reply_to is not None and sent.reply_to.message_id == message_id
        ]

    def inline_answer(self, query_id: str) -> InlineAnswer | None:
        """The bot's accepted answer to the inline query; None if it has not answered."""
        with self._cond:
            return self._inline_answers.get(query_id)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every attempt to deliver an update to the webhook, in order."""
        with self._cond:
            return list(self._deliveries)

    def commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict] | None:
        """The commands set for the scope and language; None if never set."""
        with self._cond:
            stored = self._commands.get(self._scope_key(scope, language_code))
            return None if stored is None else [dict(command) for command in stored]

    def describe_calls(self, last: int = _LOG_TAIL) -> str:
        """The recent call log, without empty long polls, for failure messages."""
        with self._cond:
            calls = [
                call
                for call in self._calls
                if not (call.method.lower() == "getupdates" and call.ok and not call.result)
            ][-last:]
        lines = "\n".join(f"  {call}" for call in calls) or "  (none)"
        return f"recent calls to the fake Telegram:\n{lines}"

    # -- waiting, for async tests ---------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 5.0, *, what: str | None = None
    ) -> T:
        """Polls ``predicate`` until it returns something truthy, and returns that.

        Fails at once if the fake rejects a call meanwhile (unless expected), and after
        ``timeout`` seconds otherwise, in both cases with the recent call log.
        """
        label = what or getattr(predicate, "__qualname__", repr(predicate))
        errors_before = len(self.unexpected_errors)
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            errors = self.unexpected_errors
            if len(errors) > errors_before:
                raise AssertionError(
                    f"while waiting for {label}, the fake rejected a call:\n  {errors[-1]}\n"
                    + self.describe_calls()
                )
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {label}\n" + self.describe_calls()
                )
            await asyncio.sleep(_WAIT_POLL_SECONDS)

    async def wait_for_bot_messages(
        self, chat: Chat | int, count: int = 1, timeout: float = 5.0
    ) -> list[Message]:
        """Waits until the bot has at least ``count`` messages in the chat; returns them all."""

        def enough() -> list[Message] | None:
            sent = self.sent_to(chat)
            return sent if len(sent) >= count else None

        return await self.wait_for(
            enough, timeout, what=f"{count} bot message(s) in chat {_chat_id(chat)}"
        )

    # -- HTTP entry point ---------------------------------------------------------------------

    def _serve_http(
        self, path: str, content_type: str, body: bytes, connection: socket.socket
    ) -> tuple[int, JSONDict] | None:
        """Answers one request; None means the client is gone and nothing should be sent."""
        method = ""
        params: dict[str, str] = {}
        try:
            method = self._method_from_path(path)
            params = _parse_body(content_type, body)
            handler = self._methods.get(method.lower())
            if handler is None:
                raise _ApiError(404, "Not Found")
            self._take_injection(method)
            result = handler(_Params(params), connection)
        except _ClientGoneError:
            self._record(method, params, 0, None, "client hung up during the long poll")
            return None
        except _ApiError as exc:
            self._record(method, params, exc.status, None, exc.description, injected=exc.injected)
            payload: JSONDict = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                payload["parameters"] = {"retry_after": exc.retry_after}
            return exc.status, payload
        except Exception as exc:  # a bug in the fake must fail the test, not look like Telegram
            traceback.print_exc()
            description = f"Internal Server Error: the fake Telegram crashed: {exc!r}"
            self._record(method, params, 500, None, description)
            return 500, {"ok": False, "error_code": 500, "description": description}
        self._record(method, params, 200, result, None)
        return 200, {"ok": True, "result": result}

    def _method_from_path(self, path: str) -> str:
        prefix = "/bot"
        token, slash, method = unquote(path).removeprefix(prefix).partition("/")
        if not path.startswith(prefix) or not slash or not method or "/" in method:
            raise _ApiError(404, "Not Found")
        if token != self.token:
            raise _ApiError(401, "Unauthorized")
        return method

    def _take_injection(self, method: str) -> None:
        """Raises the failure injected for the next call of ``method``, if there is one."""
        with self._cond:
            injection = next((i for i in self._injections if i.method == method.lower()), None)
            if injection is None:
                return
            injection.remaining -= 1
            if injection.remaining == 0:
                self._injections.remove(injection)
        raise _ApiError(
            injection.status,
            injection.description,
            retry_after=injection.retry_after,
            injected=True,
        )

    def _record(
        self,
        method: str,
        params: dict[str, str],
        status: int,
        result: Any,
        description: str | None,
        *,
        injected: bool = False,
    ) -> None:
        with self._cond:
            expectation = None
            if status not in (0, 200):
                expectation = next(
                    (e for e in self._expectations if e.matches(method, description or "")), None
                )
            call = Call(
                len(self._calls) + 1,
                method,
                params,
                status,
                result,
                description,
                expected=injected or expectation is not None,
            )
            if expectation is not None:
                expectation.matched.append(call)
            self._calls.append(call)
            self._cond.notify_all()

    # -- webhook delivery (its own thread) ------------------------------------------------------

    def _deliver_webhooks(self) -> None:
        """Posts queued updates to the local webhook listener, oldest first, one at a time."""
        attempts = 0
        attempted_id: int | None = None
        next_try = 0.0
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    if self._webhook is not None and self._webhook_target and self._updates:
                        if self._updates[0]["update_id"] != attempted_id:
                            attempts, next_try = 0, 0.0
                        wait = next_try - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                update = self._updates[0]
                attempted_id = update["update_id"]
                target, secret = self._webhook_target, self._webhook.secret_token
            status, error = post_update(target, update, secret, _WEBHOOK_TIMEOUT_SECONDS)
            now = time.monotonic()
            with self._cond:
                attempts += 1
                self._deliveries.append(WebhookDelivery(attempted_id, status, now, attempts))
                if error is not None:
                    self._webhook_error = (int(time.time()), error)
                if error is None or attempts >= _WEBHOOK_ATTEMPTS:
                    # Delivered, or given up: either way the update leaves the queue.
                    self._updates = [u for u in self._updates if u["update_id"] != attempted_id]
                    attempted_id = None
                else:
                    next_try = now + _WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1)
                self._cond.notify_all()

    # -- state helpers (callers hold the lock) ------------------------------------------------

    def _add_chat(self, chat: Chat, *, privacy: bool) -> None:
        self._chats[chat.id] = chat
        self._privacy[chat.id] = privacy
        self._messages.setdefault(chat.id, {})
        self._last_message_id.setdefault(chat.id, 0)

    def _known_chat(self, chat: Chat | int) -> Chat:
        known = self._chats.get(_chat_id(chat))
        if known is None:
            raise ValueError(f"unknown chat {_chat_id(chat)}: create it with private_chat/group")
        return known

    def _known_user(self, user: User | int) -> User:
        user_id = user.id if isinstance(user, User) else user
        known = self._users.get(user_id)
        if known is None:
            raise ValueError(f"unknown user {user_id}: create it with user()")
        return known

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def _new_query_id(self) -> str:
        query_id = str(self._next_query_id)
        self._next_query_id += 1
        return query_id

    def _check_member(self, chat: Chat, user: User) -> None:
        if chat.type == "private" and chat.id != user.id:
            raise ValueError(f"{user.first_name} is not in private chat {chat.id}")

    def _post_user_message(self, message: Message) -> Message:
        """Stores a user's message and queues its update if Telegram would deliver it."""
        delivered = self._would_deliver(message) and self._queue_update(
            "message", message.to_api()
        )
        message = replace(message, delivered=delivered)
        self._messages[message.chat.id][message.message_id] = message
        return message

    def _would_deliver(self, message: Message) -> bool:
        if message.chat.type == "private" or not self._privacy[message.chat.id]:
            return True
        if message.reply_to is not None and message.reply_to.sender.id == self.bot_user.id:
            return True
        # Telegram's privacy mode lets "messages sent via this bot" through.
        if message.via_bot is not None and message.via_bot.id == self.bot_user.id:
            return True
        # In privacy mode only a message that starts with a command for this bot gets through.
        command = next(
            (e for e in message.entities if e["type"] == "bot_command" and e["offset"] == 0),
            None,
        )
        if command is None:
            return False
        _, _, addressee = message.text[: command["length"]].partition("@")
        return not addressee or addressee.lower() == (self.bot_user.username or "").lower()

    def _queue_update(self, kind: str, payload: JSONDict) -> bool:
        if self._allowed_updates and kind not in self._allowed_updates:
            return False
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self._cond.notify_all()
        return True

    def _flood_control(self, chat: Chat) -> None:
        """Refuses a bot message into ``chat`` that Telegram's flood control would refuse."""
        if not self._limits:
            return
        retry_after = self._flood.take(chat.id, group=chat.type != "private")
        if retry_after is not None:
            raise _retry_after_error(retry_after)

    def _chat_param(self, params: _Params) -> Chat:
        raw = params.raw.get("chat_id")
        if not raw:
            raise _bad_request("chat_id is empty")
        chat_id = _as_int(raw)
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _formatted_text(self, params: _Params) -> tuple[FormattedText, str, str | None]:
        raw = params.text("text")
        if not raw:
            raise _bad_request("message text is empty")
        parse_mode = params.text("parse_mode") or None
        if params.raw.get("entities"):
            raise _bad_request(
                'the fake Telegram server does not emulate the "entities" parameter; '
                "use parse_mode HTML"
            )
        try:
            final = _parse_text(raw, parse_mode)
        except EntityParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None
        except EmptyTextError:
            raise _bad_request("message text is empty") from None
        except _TextTooLongError:
            raise _bad_request("message is too long") from None
        return final, raw, parse_mode

    def _reply_markup(self, params: _Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.json("reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        kinds = (
            ("inline_keyboard",)
            if inline_only
            else (
                "inline_keyboard",
                "keyboard",
                "remove_keyboard",
                "force_reply",
            )
        )
        if not isinstance(markup, dict) or not any(kind in markup for kind in kinds):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        return markup

    def _reply_target(self, params: _Params, chat: Chat) -> Message | None:
        reply = params.json("reply_parameters", "reply parameters")
        if reply is not None:
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise _bad_request("can't parse reply parameters JSON object")
            target_id = _as_int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply"))
            target_chat = _as_int(reply.get("chat_id", chat.id))
        else:
            target_id = params.integer("reply_to_message_id")
            if target_id is None:
                return None
            allow_missing = params.flag("allow_sending_without_reply")
            target_chat = chat.id
        messages = self._messages.get(target_chat) if target_chat is not None else None
        target = messages.get(target_id) if messages and target_id is not None else None
        if target is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return target

    def _bot_message(self, params: _Params, chat: Chat, *, deleting: bool = False) -> Message:
        message_id = params.integer("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._messages[chat.id].get(message_id)
        if message is None:
            raise _bad_request(f"message to {'delete' if deleting else 'edit'} not found")
        if not message.from_bot and (not deleting or chat.type != "private"):
            raise _bad_request(f"message can't be {'deleted' if deleting else 'edited'}")
        return message

    def _store_edit(self, message: Message) -> JSONDict:
        self._messages[message.chat.id][message.message_id] = message
        self._edits.append(message)
        return message.to_api()

    def _scope_key(self, scope: object, language_code: str) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("can't parse BotCommandScope JSON object")
        if "chat_id" in scope:
            scope = {**scope, "chat_id": _as_int(scope["chat_id"])}
        return json.dumps(scope, sort_keys=True), language_code

    # -- Bot API methods (called with the lock not held) ------------------------------------------

    def _always_true(self, params: _Params, connection: socket.socket) -> bool:
        return True

    def _get_me(self, params: _Params, connection: socket.socket) -> JSONDict:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.reads_all_group_messages,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: _Params, connection: socket.socket) -> list[JSONDict]:
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = self._allowed_updates_param(params)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook is not None:
                raise _ApiError(409, _WEBHOOK_CONFLICT)
            if allowed is not None:
                self._allowed_updates = frozenset(allowed)
            if offset is not None and offset < 0:
                del self._updates[: max(len(self._updates) + offset, 0)]
            elif offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            self._pending_polls += 1
            try:
                while not self._updates and not self._stopping:
                    if generation != self._poll_generation:
                        self._conflict(connection)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(min(remaining, _HANGUP_CHECK_SECONDS))
                    if _client_gone(connection):
                        raise _ClientGoneError
                    if self._webhook is not None:
                        raise _ApiError(409, _WEBHOOK_CONFLICT)
            finally:
                self._pending_polls -= 1
            return self._updates[:limit]

    def _allowed_updates_param(self, params: _Params) -> list[str] | None:
        allowed = params.json("allowed_updates", "allowed updates")
        if allowed is not None and not (
            isinstance(allowed, list) and all(isinstance(kind, str) for kind in allowed)
        ):
            raise _bad_request("can't parse allowed updates JSON object")
        return allowed

    def _conflict(self, connection: socket.socket) -> None:
        """Ends a poll superseded by a newer one, unless its client left or the fake stops."""
        grace_end = time.monotonic() + _CONFLICT_GRACE_SECONDS
        while time.monotonic() < grace_end:
            if self._stopping:
                return
            if _client_gone(connection):
                raise _ClientGoneError
            self._cond.wait(0.01)
        raise _ApiError(409, _CONFLICT)

    def _set_webhook(self, params: _Params, connection: socket.socket) -> bool:
        url = params.text("url") or ""
        if not url:  # "Use an empty string to remove webhook integration"
            return self._delete_webhook(params, connection)
        if params.raw.get("certificate"):
            raise _bad_request(
                "the fake Telegram server does not emulate self-signed webhook certificates"
            )
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        try:
            port = parts.port
        except ValueError:
            raise _bad_request("bad webhook: Wrong port number specified in the URL") from None
        if port is not None and port not in WEBHOOK_PORTS:
            raise _bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.text("secret_token") or None
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = self._allowed_updates_param(params)
        # Telegram clamps max_connections into 1..100.
        connections = min(
            max(params.integer("max_connections") or _WEBHOOK_DEFAULT_CONNECTIONS, 1), 100
        )
        with self._cond:
            if allowed is not None:
                self._allowed_updates = frozenset(allowed)
            if params.flag("drop_pending_updates"):
                self._updates.clear()
            self._webhook = _Webhook(url, secret, connections, params.text("ip_address") or None)
            self._webhook_error = None
            self._cond.notify_all()
        return True

    def _delete_webhook(self, params: _Params, connection: socket.socket) -> bool:
        with self._cond:
            if params.flag("drop_pending_updates"):
                self._updates.clear()
            self._webhook = None
            self._webhook_error = None
            self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: _Params, connection: socket.socket) -> JSONDict:
        with self._cond:
            webhook = self._webhook
            info: JSONDict = {
                "url": webhook.url if webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if webhook is None:
                return info
            if webhook.ip_address is not None:
                info["ip_address"] = webhook.ip_address
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
            info["max_connections"] = webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = sorted(self._allowed_updates)
            return info

    def _set_my_commands(self, params: _Params, connection: socket.socket) -> bool:
        commands = params.json("commands", "bot commands")
        if not isinstance(commands, list):
            raise _bad_request('parameter "commands" is required')
        if len(commands) > _MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        stored: list[JSONDict] = []
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not (
                isinstance(name, str)
                and 1 <= len(name) <= 32
                and all(ch.islower() or ch.isdigit() or ch == "_" for ch in name)
                and name.isascii()
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not (isinstance(description, str) and 1 <= len(description.strip()) <= 256):
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        key = self._scope_key(params.json("scope", "bot command scope"), self._language(params))
        with self._cond:
            self._commands[key] = stored
        return True

    def _get_my_commands(self, params: _Params, connection: socket.socket) -> list[JSONDict]:
        key = self._scope_key(params.json("scope", "bot command scope"), self._language(params))
        with self._cond:
            return [dict(command) for command in self._commands.get(key, [])]

    def _delete_my_commands(self, params: _Params, connection: socket.socket) -> bool:
        key = self._scope_key(params.json("scope", "bot command scope"), self._language(params))
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _language(self, params: _Params) -> str:
        return params.text("language_code") or ""

    def _send_message(self, params: _Params, connection: socket.socket) -> JSONDict:
        with self._cond:
            chat = self._chat_param(params)
            formatted, raw, parse_mode = self._formatted_text(params)
            markup = self._reply_markup(params)
            target = self._reply_target(params, chat)
            self._flood_control(chat)
            message = Message(
                chat=chat,
                message_id=self._next_message_id(chat.id),
                sender=self.bot_user,
                date=int(time.time()),
                text=formatted.text,
                entities=formatted.entities,
                raw_text=raw,
                parse_mode=parse_mode,
                reply_to=target,
                reply_markup=markup,
                at=time.monotonic(),
            )
            self._messages[chat.id][message.message_id] = message
            return message.to_api()

    def _edit_message_text(self, params: _Params, connection: socket.socket) -> JSONDict:
        if params.raw.get("inline_message_id"):
            raise _bad_request("the fake Telegram server does not emulate inline messages")
        with self._cond:
            chat = self._chat_param(params)
            message = self._bot_message(params, chat)
            formatted, raw, parse_mode = self._formatted_text(params)
            # Telegram drops the inline keyboard when an edit does not repeat it.
            markup = self._reply_markup(params, inline_only=True)
            current = (message.text, message.entities, _inline_markup(message.reply_markup))
            if current == (formatted.text, formatted.entities, markup):
                raise _bad_request(_NOT_MODIFIED)
            return self._store_edit(
                replace(
                    message,
                    text=formatted.text,
                    entities=formatted.entities,
                    raw_text=raw,
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    edit_date=int(time.time()),
                    edited_at=time.monotonic(),
                )
            )

    def _edit_message_reply_markup(self, params: _Params, connection: socket.socket) -> JSONDict:
        if params.raw.get("inline_message_id"):
            raise _bad_request("the fake Telegram server does not emulate inline messages")
        with self._cond:
            chat = self._chat_param(params)
            message = self._bot_message(params, chat)
            markup = self._reply_markup(params, inline_only=True)
            if markup == _inline_markup(message.reply_markup):
                raise _bad_request(_NOT_MODIFIED)
            return self._store_edit(
                replace(
                    message,
                    reply_markup=markup,
                    edit_date=int(time.time()),
                    edited_at=time.monotonic(),
                )
            )

    def _delete_message(self, params: _Params, connection: socket.socket) -> bool:
        with self._cond:
            chat = self._chat_param(params)
            message = self._bot_message(params, chat, deleting=True)
            del self._messages[chat.id][message.message_id]
        return True

    def _send_chat_action(self, params: _Params, connection: socket.socket) -> bool:
        with self._cond:
            self._chat_param(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: _Params, connection: socket.socket) -> bool:
        query_id = params.text("callback_query_id")
        with self._cond:
            if query_id not in self._open_queries:
                raise _bad_request(_QUERY_INVALID)
            self._open_queries.discard(query_id)
        return True

    def _answer_inline_query(self, params: _Params, connection: socket.socket) -> bool:
        query_id = params.text("inline_query_id") or ""
        results = params.json("results", "inline query results")
        if results is None:
            raise _bad_request('parameter "results" is required')
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > _MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        parsed = [_inline_result(result, seen) for result in results]
        next_offset = params.text("next_offset") or ""
        if len(next_offset.encode("utf-8")) > _MAX_NEXT_OFFSET_BYTES:
            raise _bad_request("NEXT_OFFSET_INVALID")
        button = params.json("button", "inline query results button")
        if button is not None:
            _check_results_button(button)
        answer = InlineAnswer(
            query_id=query_id,
            results=tuple(result for result, _ in parsed),
            next_offset=next_offset,
            is_personal=params.flag("is_personal"),
            cache_time=params.integer("cache_time"),
            button=button,
        )
        with self._cond:
            if query_id not in self._inline_queries or query_id in self._inline_answers:
                raise _bad_request(_QUERY_INVALID)
            self._inline_answers[query_id] = answer
            for result, message in parsed:
                self._inline_messages[query_id, result["id"]] = message
        return True

    def _get_chat(self, params: _Params, connection: socket.socket) -> JSONDict:
        with self._cond:
            chat = self._chat_param(params)
        gift_types = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gift_types,
        }


def _chat_id(chat: Chat | int) -> int:
    return chat.id if isinstance(chat, Chat) else chat


class _Server(ThreadingHTTPServer):
    """Tracks its connections so that stop() can close keep-alive ones the client left open."""

    daemon_threads = True

    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._answering = 0
        self._answered = threading.Condition()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup we neither need
        # nor want in tests.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
    ) -> None:
        if not isinstance(request, socket.socket):
            raise TypeError("the fake Telegram server only serves TCP connections")
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="fake-telegram-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(request, None)
            self.shutdown_request(request)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        # A client hanging up, or stop() shutting a socket, is routine; anything else is a bug.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Marks a request as in progress until its answer is written."""
        with self._answered:
            self._answering += 1
        try:
            yield
        finally:
            with self._answered:
                self._answering -= 1
                self._answered.notify_all()

    def close_connections(self, timeout: float) -> None:
        """Lets answers in progress finish, then closes every connection, idle or not."""
        with self._answered:
            self._answered.wait_for(lambda: self._answering == 0, timeout)
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for connection, _ in open_connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in open_connections:
            thread.join(timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it, keep-alive answers can wait ~40 ms for a delayed ACK (Nagle's algorithm).
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        with self.server.answering():
            self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        outcome = self.server.fake._serve_http(
            self.path, self.headers.get("Content-Type", ""), body, self.connection
        )
        if outcome is None:
            self.close_connection = True
            return
        status, payload = outcome
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the fake records every call itself."""
