"""A fake Telegram Bot API server for end-to-end tests of the bot through the real PTB client.

The bot is pointed at it with ``ApplicationBuilder().token(fake.token).base_url(fake.base_url)``.
Requests arrive as ``POST /bot<token>/<method>``. PTB sends its parameters form-urlencoded, with
strings as they are and every other value JSON-encoded (``chat_id=5``, ``disable_notification=
true``, ``reply_markup={"inline_keyboard": ...}``), an empty body when there are none, and
multipart only to upload files; the fake parses exactly that.

The server runs in daemon threads (stdlib ``ThreadingHTTPServer``), so it serves a PTB
application running in any event loop, including the test's own. All state sits behind one
condition variable; what tests get back are snapshots the fake never changes afterwards.
"""

import asyncio
import json
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
from urllib.parse import parse_qsl, unquote

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
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


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


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 that plays Telegram for one bot.

    Use as a context manager or call start()/stop(). Tests play users with send() and press(),
    then read what the bot did with messages_in(), sent_to(), edits_of() and calls.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "newsbot_test_bot",
        bot_id: int | None = None,
        bot_first_name: str = "Newsbot Test",
    ) -> None:
        self.token = token
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
        self._methods: dict[str, Callable[[_Params, socket.socket], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
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
        return self

    def stop(self) -> None:
        """Stops serving; pending long polls are answered at once and connections closed."""
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
        self._server = self._thread = None

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
            if known_chat.type == "private" and known_chat.id != sender.id:
                raise ValueError(f"{sender.first_name} is not in private chat {known_chat.id}")
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
            message = Message(
                chat=known_chat,
                message_id=self._next_message_id(known_chat.id),
                sender=sender,
                date=int(time.time()),
                text=cleaned.text,
                entities=detect_entities(cleaned.text),
                raw_text=text,
                reply_to=target,
            )
            delivered = self._would_deliver(message) and self._queue_update(
                "message", message.to_api()
            )
            message = replace(message, delivered=delivered)
            self._messages[known_chat.id][message.message_id] = message
            return message

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
            query_id = str(self._next_query_id)
            self._next_query_id += 1
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
            result = handler(_Params(params), connection)
        except _ClientGoneError:
            self._record(method, params, 0, None, "client hung up during the long poll")
            return None
        except _ApiError as exc:
            self._record(method, params, exc.status, None, exc.description)
            return exc.status, {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
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

    def _record(
        self,
        method: str,
        params: dict[str, str],
        status: int,
        result: Any,
        description: str | None,
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
                expected=expectation is not None,
            )
            if expectation is not None:
                expectation.matched.append(call)
            self._calls.append(call)
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

    def _would_deliver(self, message: Message) -> bool:
        if message.chat.type == "private" or not self._privacy[message.chat.id]:
            return True
        if message.reply_to is not None and message.reply_to.sender.id == self.bot_user.id:
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
        mode = (parse_mode or "").lower()
        try:
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
        except EntityParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None
        except EmptyTextError:
            raise _bad_request("message text is empty") from None
        if utf16_len(final.text) > MAX_TEXT_UTF16:
            raise _bad_request("message is too long")
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
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: _Params, connection: socket.socket) -> list[JSONDict]:
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = params.json("allowed_updates", "allowed updates")
        if allowed is not None and not (
            isinstance(allowed, list) and all(isinstance(kind, str) for kind in allowed)
        ):
            raise _bad_request("can't parse allowed updates JSON object")
        deadline = time.monotonic() + timeout
        with self._cond:
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
            finally:
                self._pending_polls -= 1
            return self._updates[:limit]

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

    def _delete_webhook(self, params: _Params, connection: socket.socket) -> bool:
        if params.flag("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: _Params, connection: socket.socket) -> JSONDict:
        with self._cond:
            pending = len(self._updates)
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}

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
                replace(message, reply_markup=markup, edit_date=int(time.time()))
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
