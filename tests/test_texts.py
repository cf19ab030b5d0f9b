"""Every user-visible string has an Indonesian and an English version that take the same
placeholders."""

from __future__ import annotations

import dataclasses
import string

import pytest

from bot.texts import ASK_EXAMPLE, ENGLISH, ENGLISH_TEXTS, INDONESIAN, INDONESIAN_TEXTS, texts_for

FIELDS = [field.name for field in dataclasses.fields(INDONESIAN_TEXTS)]
# The same in both languages on purpose.
SHARED = {"reindex_failure_line", "status_feed"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", FIELDS)
def test_every_string_exists_in_both_languages(name: str) -> None:
    indonesian, english = getattr(INDONESIAN_TEXTS, name), getattr(ENGLISH_TEXTS, name)
    assert indonesian
    assert english
    if isinstance(indonesian, str):
        assert placeholders(indonesian) == placeholders(english)
        if name not in SHARED | {"language"}:
            assert indonesian != english, f"{name} is not translated"
    else:
        assert len(indonesian) == len(english)


def test_language_choice() -> None:
    assert texts_for(None) is INDONESIAN_TEXTS
    assert texts_for("id") is INDONESIAN_TEXTS
    assert texts_for("ms") is INDONESIAN_TEXTS
    assert texts_for("en-GB") is ENGLISH_TEXTS
    assert set(ASK_EXAMPLE) == {INDONESIAN, ENGLISH}
