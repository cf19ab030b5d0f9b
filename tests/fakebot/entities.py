"""Telegram's text rules as the fake enforces them: HTML parsing, text cleaning, entity detection.

Modelled on tdlib's ``td/telegram/MessageEntity.cpp`` (``parse_html``, ``fix_formatted_text``,
``match_bot_commands``, ``match_mentions``), which the Bot API server runs. Error texts copy
tdlib's wording. Where Telegram silently drops or repairs markup that a bot almost certainly did
not mean (a bare ``&``, an unknown attribute, formatting inside ``<code>``, a link it cannot
use, more than 100 entities), the fake rejects it instead and says so in the error text, so a
failing test shows which rule is the fake's own.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]

MAX_TEXT_UTF16 = 4096
MAX_ENTITIES = 100

_STRICT = " (Telegram would accept this but silently {}; the fake rejects it)"
_SPACES = " \t\r\n\v\f\0"
_SPLITTABLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_CONTINUOUS = frozenset({"a", "code", "pre", "tg-emoji"})
_ALLOWED_TAGS = frozenset({*_SPLITTABLE, *_CONTINUOUS, "blockquote"})
_ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "span": frozenset({"class"}),
    "tg-emoji": frozenset({"emoji-id"}),
    "blockquote": frozenset({"expandable"}),
}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton"})
# A scheme, unless what follows the colon is a port number ("example.com:8080/x").
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])")
_UNTERMINATED_REFERENCE = re.compile(r"&(?:#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+)(?!;)")
_REFERENCE = re.compile(r"&(?:#([0-9]{1,8})|#x([0-9a-fA-F]{1,7})|([A-Za-z]+));")
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# tdlib orders entities by offset, then longer first, then by this priority (lower first).
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
}


class EntityParseError(ValueError):
    """Markup Telegram (or the stricter fake) refuses; text to follow "can't parse entities: "."""


class EmptyTextError(ValueError):
    """Nothing but whitespace is left after Telegram cleans and trims the text."""


@dataclass(frozen=True)
class FormattedText:
    """Message text as Telegram stores it, with entities in Bot API form (UTF-16 offsets)."""

    text: str
    entities: tuple[Entity, ...]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and length limits."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _is_token_char(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or ch in ".-"


def _sort_entities(entities: list[Entity]) -> None:
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    text_start: int
    byte_pos: int


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def at(self, index: int) -> str:
        return self.src[index] if index < len(self.src) else ""

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.out_len += len(chunk)
        self.utf16 += utf16_len(chunk)

    def parse(self) -> FormattedText:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "&":
                self.emit(self.reference(self.pos))
            elif ch == "<":
                self.tag()
            else:
                stop = len(src)
                for special in "<&":
                    found = src.find(special, self.pos)
                    if found != -1:
                        stop = min(stop, found)
                self.emit(src[self.pos : stop])
                self.pos = stop
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        _sort_entities(self.entities)
        return FormattedText("".join(self.out), tuple(self.entities))

    def reference(self, start: int) -> str:
        """Decodes the character reference at ``start`` and moves past it."""
        match = _REFERENCE.match(self.src, start)
        offset = _byte_offset(self.src, start)
        if match is None:
            unterminated = _UNTERMINATED_REFERENCE.match(self.src, start)
            what = f'"{unterminated[0]}" lacks its ";"' if unterminated else 'Unescaped "&"'
            raise EntityParseError(
                f"{what} at byte offset {offset}; write &amp; for a literal &"
                + _STRICT.format("guess what it means")
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_REFERENCES:
                raise EntityParseError(
                    f'Unsupported HTML entity "&{name};" at byte offset {offset}; only &lt; '
                    "&gt; &amp; &quot; and numeric references are understood"
                    + _STRICT.format("show it literally")
                )
            decoded = _NAMED_REFERENCES[name]
        else:
            code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise EntityParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            if code == 0 or code >= 0x10FFFF:
                raise EntityParseError(
                    f'Invalid numeric character reference "{match[0]}" at byte offset {offset}'
                    + _STRICT.format("keep it as literal text")
                )
            decoded = chr(code)
        self.pos = match.end()
        return decoded

    def tag(self) -> None:
        begin = self.pos
        self.pos += 1
        if self.at(self.pos) == "/":
            self.end_tag(begin)
        else:
            self.start_tag(begin)

    def skip_spaces(self) -> None:
        while self.pos < len(self.src) and self.src[self.pos] in _SPACES:
            self.pos += 1

    def start_tag(self, begin: int) -> None:
        src = self.src
        byte_pos = _byte_offset(src, begin)
        while self.pos < len(src) and src[self.pos] not in _SPACES and src[self.pos] != ">":
            self.pos += 1
        if self.pos >= len(src):
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
        name = src[begin + 1 : self.pos].lower()
        if name not in _ALLOWED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte_pos}')
        argument = ""
        while self.at(self.pos) != ">":
            self.skip_spaces()
            if self.at(self.pos) == ">":
                break
            attribute, value = self.attribute(name, byte_pos)
            if attribute not in _ALLOWED_ATTRIBUTES.get(name, ()):
                raise EntityParseError(
                    f'Unsupported attribute "{attribute}" in the tag "{name}" at byte offset '
                    f"{byte_pos}" + _STRICT.format("ignore it")
                )
            argument = self.argument(name, attribute, value, byte_pos)
        self.pos += 1
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_pos}'
            )
        self.check_nesting(name, byte_pos)
        self.stack.append(_OpenTag(name, argument, self.utf16, self.out_len, byte_pos))

    def attribute(self, tag: str, byte_pos: int) -> tuple[str, str | None]:
        """Reads one ``name[=value]`` pair; a value-less attribute gives ``None``."""
        src = self.src
        start = self.pos
        while (
            self.pos < len(src) and src[self.pos] not in _SPACES and src[self.pos] not in "=>/\"'"
        ):
            self.pos += 1
        name = src[start : self.pos]
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {byte_pos}'
            )
        self.skip_spaces()
        if self.pos >= len(src):
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {byte_pos}')
        if src[self.pos] != "=":
            return name, None
        self.pos += 1
        self.skip_spaces()
        if self.pos >= len(src):
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {byte_pos}')
        quote = src[self.pos]
        if quote not in "\"'":
            # An unquoted value is an SGML name token: letters, digits, periods and hyphens.
            token_start = self.pos
            while self.pos < len(src) and _is_token_char(src[self.pos]):
                self.pos += 1
            if self.pos >= len(src) or (src[self.pos] not in _SPACES and src[self.pos] != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(src, token_start)}"
                )
            return name, src[token_start : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while self.pos < len(src) and src[self.pos] != quote:
            if src[self.pos] == "&":
                value.append(self.reference(self.pos))
            else:
                value.append(src[self.pos])
                self.pos += 1
        if self.pos >= len(src):
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
        self.pos += 1
        return name, "".join(value)

    def argument(self, tag: str, attribute: str, value: str | None, byte_pos: int) -> str:
        if tag == "blockquote":
            return "1"
        if value is None:
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte '
                f"offset {byte_pos}" + _STRICT.format("ignore the attribute")
            )
        if tag == "code":
            if not value.startswith("language-"):
                raise EntityParseError(
                    f'Unsupported class "{value}" in the tag "code" at byte offset {byte_pos}; '
                    'only "language-..." is understood' + _STRICT.format("ignore it")
                )
            return value.removeprefix("language-")
        if tag == "span":
            return value.removeprefix("tg-") if value.startswith("tg-") else ""
        return value

    def check_nesting(self, name: str, byte_pos: int) -> None:
        """Rejects nesting that Telegram would repair by dropping entities."""
        if not self.stack:
            return
        parent = self.stack[-1]
        if name == "code" and parent.name == "pre" and parent.text_start == self.out_len:
            return
        open_names = {tag.name for tag in self.stack}
        dropped = _STRICT.format("drop one of the entities")
        for enclosing in ("pre", "code"):
            if enclosing in open_names:
                raise EntityParseError(
                    f'Tag "{name}" can\'t be nested in the tag "{enclosing}" at byte offset '
                    f"{byte_pos}" + dropped
                )
        if name == "blockquote" and "blockquote" in open_names:
            raise EntityParseError(
                f"Blockquotes can't be nested at byte offset {byte_pos}" + dropped
            )
        if name in _CONTINUOUS or name == "blockquote":
            clash = sorted(open_names & {"a", "tg-emoji"})
            if clash:
                raise EntityParseError(
                    f'Tag "{name}" can\'t be nested in the tag "{clash[0]}" at byte offset '
                    f"{byte_pos}" + dropped
                )

    def end_tag(self, begin: int) -> None:
        src = self.src
        byte_pos = _byte_offset(src, begin)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_pos}")
        self.pos += 1
        name_start = self.pos
        while self.pos < len(src) and src[self.pos] not in _SPACES and src[self.pos] != ">":
            self.pos += 1
        name = src[name_start : self.pos].lower()
        self.skip_spaces()
        if self.at(self.pos) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_pos}")
        self.pos += 1
        opened = self.stack[-1]
        if name and name != opened.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {byte_pos}, expected "</{opened.name}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        length = self.utf16 - opened.utf16_start
        if length > 0:
            self.close_entity(opened, length)

    def close_entity(self, opened: _OpenTag, length: int) -> None:
        entity: Entity = {"type": "", "offset": opened.utf16_start, "length": length}
        name = opened.name
        if name in _SPLITTABLE:
            entity["type"] = _SPLITTABLE[name]
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif name == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif name == "a":
            url = opened.argument or "".join(self.out)[opened.text_start :]
            entity.update(type="text_link", url=self.checked_link(url, opened.byte_pos))
        elif name == "code":
            entity["type"] = "code"
            # check_nesting lets code into pre only at its start; a language counts only there.
            if opened.argument and self.stack and self.stack[-1].name == "pre":
                entity["language"] = opened.argument
        else:
            entity["type"] = "pre"
            inner = self.entities[-1] if self.entities else None
            if (
                inner is not None
                and inner["type"] == "code"
                and inner["offset"] == entity["offset"]
            ):
                if inner["length"] != length:
                    raise EntityParseError(
                        f'Tag "code" must fill the whole "pre" block opened at byte offset '
                        f"{opened.byte_pos}" + _STRICT.format("drop the code entity")
                    )
                self.entities.pop()
                if "language" in inner:
                    entity["language"] = inner["language"]
        self.entities.append(entity)

    def checked_link(self, url: str, byte_pos: int) -> str:
        scheme_match = _SCHEME.match(url)
        # Telegram adds "http://" to links without a scheme, as clients do when opening them.
        candidate = url if scheme_match else f"http://{url}"
        scheme = scheme_match[1].lower() if scheme_match else "http"
        if (
            not url
            or any(ch in _SPACES for ch in url)
            or scheme not in _LINK_SCHEMES
            or (scheme in {"http", "https"} and not urlsplit(candidate).hostname)
        ):
            raise EntityParseError(
                f'Invalid URL "{url}" in the tag "a" at byte offset {byte_pos}'
                + _STRICT.format("drop the link")
            )
        return candidate


def parse_html(source: str) -> FormattedText:
    """Parses Bot API HTML into text and entities, raising EntityParseError like Telegram."""
    return _HtmlParser(source).parse()


def _clean_char(ch: str) -> str | None:
    """What tdlib's clean_input_string turns ``ch`` into (None: removed)."""
    code = ord(ch)
    if ch == "\r" or 0x2028 <= code <= 0x202E:
        return None
    # Combining vertical lines are removed because they render over neighbouring lines.
    if ch in "\u0333\u033f\u030a":
        return None
    if code < 32 and ch != "\n":
        return " "
    return ch


def clean_and_trim(formatted: FormattedText) -> FormattedText:
    """Applies tdlib's fix_formatted_text: control characters, then trimming spaces and newlines.

    Raises EmptyTextError when nothing else is left.
    """
    source = formatted.text
    chars: list[str] = []
    boundary: dict[int, int] = {}
    old = new = 0
    for ch in source:
        boundary[old] = new
        old += 2 if ord(ch) > 0xFFFF else 1
        cleaned = _clean_char(ch)
        if cleaned is not None:
            chars.append(cleaned)
            new += 2 if ord(cleaned) > 0xFFFF else 1
    boundary[old] = new
    entities: list[Entity] = []
    for entity in formatted.entities:
        start = boundary[entity["offset"]]
        end = boundary[entity["offset"] + entity["length"]]
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    text = "".join(chars)

    stripped = text.rstrip(" \n")
    if not stripped:
        raise EmptyTextError("message text is empty")
    end = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        if entity["offset"] < end:
            kept.append({**entity, "length": min(entity["length"], end - entity["offset"])})
    first_entity = min((e["offset"] for e in kept), default=end)
    lead = 0
    while lead < len(stripped) and lead < first_entity and stripped[lead] in " \n":
        lead += 1
    for entity in kept:
        entity["offset"] -= lead
    _sort_entities(kept)
    return FormattedText(stripped[lead:], tuple(kept))


def _scan_names(text: str, index: int, lengths: range) -> int | None:
    """End of an ``[A-Za-z0-9_]`` run starting at ``index`` if its length is in ``lengths``."""
    end = index
    while end < len(text) and text[end].isascii() and _is_word_char(text[end]):
        end += 1
    return end if end - index in lengths else None


def _utf16_offsets(text: str) -> list[int]:
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def detect_entities(text: str) -> tuple[Entity, ...]:
    """The ``bot_command`` and ``mention`` entities Telegram finds in a user's plain text."""
    units = _utf16_offsets(text)
    found: list[Entity] = []
    for index, ch in enumerate(text):
        if ch not in "/@":
            continue
        before = text[index - 1] if index else ""
        if before and (_is_word_char(before) or (ch == "/" and before in "/<>")):
            continue
        if ch == "/":
            end = _scan_names(text, index + 1, range(1, 65))
            if end is not None and end < len(text) and text[end] == "@":
                end = _scan_names(text, end + 1, range(3, 33))
            kind = "bot_command"
        else:
            # tdlib keeps 2..32 characters but then drops usernames shorter than five.
            end = _scan_names(text, index + 1, range(5, 33))
            kind = "mention"
        if end is None:
            continue
        after = text[end] if end < len(text) else ""
        if after and (_is_word_char(after) or (ch == "/" and after in "/<>")):
            continue
        found.append({"type": kind, "offset": units[index], "length": units[end] - units[index]})
    return tuple(found)


def check_entity_count(entities: Sequence[Entity]) -> None:
    if len(entities) > MAX_ENTITIES:
        raise EntityParseError(
            f"Too many entities: {len(entities)}, at most {MAX_ENTITIES} are allowed"
            + _STRICT.format("drop the entities beyond the 100th")
        )
