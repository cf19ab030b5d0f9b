"""Sastrawi's Indonesian stemmer (Nazief-Adriani with CS/ECS rules), rewritten for speed (pure).

Sastrawi 1.0.1 runs each rule through ``re.match`` with a pattern string and a visitor object,
about 0.2 ms a word: most of the cost of indexing news. This is the same algorithm, step for
step, with compiled patterns, rules picked by the word's first letter, and plain tuples; it
returns what Sastrawi returns for every word of lowercase letters (``tests/test_stemmer.py``
checks it against Sastrawi itself on every word of the sample corpus and of ../shared/corpus).
Step numbers in comments are those of Sastrawi's ``Context``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Rule patterns are Sastrawi's: C a consonant, V a vowel.
_C = "[bcdfghjklmnpqrstvwxyz]"
_V = "[aiueo]"
_CONSONANTS = "bcdfghjklmnpqrstvwxyz"

_PARTICLE, _POSSESSIVE, _DERIVATIONAL, _PREFIX = "P", "PP", "DS", "DP"
_SUFFIX_KINDS = frozenset({_PARTICLE, _POSSESSIVE, _DERIVATIONAL})

# Confix stripping: words shaped like these try prefixes before suffixes.
_PREFIX_FIRST = re.compile(r"be.*lah$|be.*an$|me.*i$|di.*i$|pe.*i$|ter.*i$")
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
# Sastrawi's ``(is|isme|isasi|i|kan|an)$`` removes the ending that starts furthest left.
_DERIVATIONAL_SUFFIXES = ("isasi", "isme", "kan", "an", "is", "i")
_PLAIN_PREFIXES = ("di", "ke", "se")

# Every rule needs the word to start with a prefix (di-, ke-, se-, be-, te-, me-, pe-, ku-,
# kau-) or a consonant and an infix (-er-, -el-, -em-, -in-) before a vowel, or to end with a
# particle, pronoun or suffix (-lah, -kah, -tah, -pun, -ku, -mu, -nya, -i, -an, -is, -isme). A
# word that does neither is returned as it is, whatever the rules: most names, places and
# loanwords, more than half of the words of the news.
_MAY_CHANGE = re.compile(
    f"^(?:di|ke|se|be|te|me|pe|ku|kau|{_C}(?:er|el|em|in){_V})"
    "|(?:lah|kah|tah|pun|ku|mu|nya|i|an|is|isme)$"
)

Disambiguate = Callable[[str], str | None]
# (kind, the word before, the word after, the part removed), as Sastrawi's ``Removal``.
Removal = tuple[str, str, str, str]


def _rule(
    pattern: str,
    build: Callable[[re.Match[str]], str],
    veto: Callable[[re.Match[str]], bool] | None = None,
) -> Disambiguate:
    regex = re.compile(pattern)

    def disambiguate(word: str) -> str | None:
        match = regex.match(word)
        if match is None or (veto is not None and veto(match)):
            return None
        return build(match)

    return disambiguate


def _whole(word: str, result: str) -> Disambiguate:
    return lambda candidate: result if candidate == word else None


def _joined(match: re.Match[str]) -> str:
    return "".join(match.groups())


def _prefixed(prefix: str) -> Callable[[re.Match[str]], str]:
    return lambda match: prefix + "".join(match.groups())


def _r_is(group: int) -> Callable[[re.Match[str]], bool]:
    return lambda match: match[group] == "r"


def _starts_er(group: int) -> Callable[[re.Match[str]], bool]:
    return lambda match: match[group].startswith("er")


_PE_L = _rule(f"pe(l{_V})(.*)$", _joined)


def _rule_32(word: str) -> str | None:
    return "ajar" if word == "pelajar" else _PE_L(word)


def _infix(infix: str) -> list[Disambiguate]:
    return [
        _rule(f"({_C})({infix}{_V})(.*)$", _joined),
        _rule(f"({_C}){infix}({_V})(.*)$", _joined),
    ]


# Sastrawi's prefix disambiguators, each group one visitor, in Sastrawi's order, with the first
# letters a word needs for any rule of the group to match it.
_PREFIX_VISITORS: list[tuple[str, list[Disambiguate]]] = [
    ("b", [_rule(f"ber({_V}.*)$", _joined), _rule(f"ber({_V}.*)$", _prefixed("r"))]),  # 1
    ("b", [_rule(f"ber({_C})([a-z])(.*)", _joined, _starts_er(3))]),  # 2
    (
        "b",
        [
            _rule(
                f"ber({_C})([a-z])er({_V})(.*)",
                lambda m: m[1] + m[2] + "er" + m[3] + m[4],
                _r_is(1),
            )
        ],
    ),  # 3
    ("b", [_whole("belajar", "ajar")]),  # 4
    ("b", [_rule(f"be([bcdfghjklmnpqstvwxyz])(er{_C})(.*)$", _joined)]),  # 5
    ("t", [_rule(f"ter({_V}.*)$", _joined), _rule(f"ter({_V}.*)$", _prefixed("r"))]),  # 6
    ("t", [_rule(f"ter({_C})er({_V}.*)$", lambda m: m[1] + "er" + m[2], _r_is(1))]),  # 7
    (
        "t",
        [_rule(f"ter({_C})(.*)$", _joined, lambda m: m[1] == "r" or m[2].startswith("er"))],
    ),  # 8
    ("t", [_rule(f"te({_C})er({_C})(.*)$", lambda m: m[1] + "er" + m[2] + m[3], _r_is(1))]),  # 9
    ("m", [_rule(f"me([lrwy])({_V})(.*)$", _joined)]),  # 10
    ("m", [_rule("mem([bfv])(.*)$", _joined)]),  # 11
    ("m", [_rule("mempe(.*)$", _prefixed("pe"))]),  # 12
    (
        "m",
        [_rule(f"mem({_V})(.*)$", _prefixed("m")), _rule(f"mem({_V})(.*)$", _prefixed("p"))],
    ),  # 13
    ("m", [_rule("men([cdjstz])(.*)$", _joined)]),  # 14
    (
        "m",
        [_rule(f"men({_V})(.*)$", _prefixed("n")), _rule(f"men({_V})(.*)$", _prefixed("t"))],
    ),  # 15
    ("m", [_rule("meng([ghqk])(.*)$", _joined)]),  # 16
    (
        "m",
        [
            _rule(f"meng({_V})(.*)$", _joined),
            _rule(f"meng({_V})(.*)$", _prefixed("k")),
            _rule("menge(.*)$", _joined),
            _rule(f"meng({_V})(.*)$", _prefixed("ng")),
        ],
    ),  # 17
    (
        "m",
        [_rule(f"meny({_V})(.*)$", _prefixed("ny")), _rule(f"meny({_V})(.*)$", _prefixed("s"))],
    ),  # 18
    ("m", [_rule("memp([abcdfghijklmopqrstuvwxyz])(.*)$", _prefixed("p"))]),  # 19
    ("p", [_rule(f"pe([wy])({_V})(.*)$", _joined)]),  # 20
    ("p", [_rule(f"per({_V})(.*)$", _joined), _rule(f"pe(r{_V})(.*)$", _joined)]),  # 21
    ("p", [_rule(f"per({_C})([a-z])(.*)$", _joined, _starts_er(3))]),  # 23
    (
        "p",
        [
            _rule(
                f"per({_C})([a-z])er({_V})(.*)$",
                lambda m: m[1] + m[2] + "er" + m[3] + m[4],
                _r_is(1),
            )
        ],
    ),  # 24
    ("p", [_rule("pem([bfv])(.*)$", _joined)]),  # 25
    (
        "p",
        [_rule(f"pem({_V})(.*)$", _prefixed("m")), _rule(f"pem({_V})(.*)$", _prefixed("p"))],
    ),  # 26
    ("p", [_rule("pen([cdjstz])(.*)$", _joined)]),  # 27
    (
        "p",
        [_rule(f"pen({_V})(.*)$", _prefixed("n")), _rule(f"pen({_V})(.*)$", _prefixed("t"))],
    ),  # 28
    ("p", [_rule(f"peng({_C})(.*)$", _joined)]),  # 29
    (
        "p",
        [
            _rule(f"peng({_V})(.*)$", _joined),
            _rule(f"peng({_V})(.*)$", _prefixed("k")),
            _rule("penge(.*)$", _joined),
        ],
    ),  # 30
    (
        "p",
        [_rule(f"peny({_V})(.*)$", _prefixed("ny")), _rule(f"peny({_V})(.*)$", _prefixed("s"))],
    ),  # 31
    ("p", [_rule_32]),  # 32
    ("p", [_rule(f"pe({_C})(.*)$", _joined, _starts_er(2))]),  # 34
    ("t", [_rule(f"ter([bcdfghjkpqstvxz])(er{_C})(.*)$", _joined)]),  # 35
    ("p", [_rule(f"pe([bcdfghjkpqstvxz])(er{_C})(.*)$", _joined)]),  # 36
    (_CONSONANTS, _infix("er")),  # 37
    (_CONSONANTS, _infix("el")),  # 38
    (_CONSONANTS, _infix("em")),  # 39
    (_CONSONANTS, _infix("in")),  # 40
    ("k", [_rule("ku(.*)$", _joined)]),  # 41
    ("k", [_rule("kau(.*)$", _joined)]),  # 42
]

# For each first letter, the visitors (after the plain prefix, which always runs first) whose
# rules could match a word starting with it, still in Sastrawi's order: the others would not
# change anything, and skipping them changes nothing either.
_VISITORS_BY_LETTER: dict[str, list[list[Disambiguate]]] = {
    letter: [rules for letters, rules in _PREFIX_VISITORS if letter in letters]
    for letter in "abcdefghijklmnopqrstuvwxyz"
}


class Stemmer:
    """Stems of single words of lowercase letters, from a dictionary of root words."""

    def __init__(self, root_words: Iterable[str]) -> None:
        self.root_words = frozenset(word for word in root_words if word.strip())

    def stem(self, word: str) -> str:
        """The root word Sastrawi finds in ``word``, or ``word`` when it finds none."""
        if word in self.root_words or not _MAY_CHANGE.search(word):
            return word
        run = _Run(self.root_words, word)
        run.strip_affixes()
        return run.current if run.current in self.root_words else word


class _Run:
    """One word's stemming, as Sastrawi's ``Context``."""

    __slots__ = ("current", "original", "removals", "roots", "stopped")

    def __init__(self, roots: frozenset[str], word: str) -> None:
        self.roots = roots
        self.original = word
        self.current = word
        self.removals: list[Removal] = []
        # Sastrawi's DontStemShortWord: it stops each later round of rules after its first.
        self.stopped = len(word) <= 3

    def found(self) -> bool:
        return self.current in self.roots

    def strip_affixes(self) -> None:
        # Steps 1 to 5, the word itself being no root word.
        if _PREFIX_FIRST.match(self.original):
            self.remove_prefixes()
            if self.found():
                return
            self.remove_suffixes()
            if self.found():
                return
            self.current = self.original
            self.removals = []
        self.remove_suffixes()
        if self.found():
            return
        self.remove_prefixes()
        if self.found():
            return
        self.restore_suffixes()

    def _remove(self, kind: str, result: str) -> None:
        # The part removed as Sastrawi computes it: the first occurrence of the result deleted.
        removed = self.current.replace(result, "", 1)
        self.removals.append((kind, self.current, result, removed))
        self.current = result

    def remove_suffixes(self) -> None:
        for kind, endings in (
            (_PARTICLE, _PARTICLES),
            (_POSSESSIVE, _POSSESSIVES),
            (_DERIVATIONAL, _DERIVATIONAL_SUFFIXES),
        ):
            ending = next((e for e in endings if self.current.endswith(e)), None)
            if ending is not None:
                self._remove(kind, self.current[: -len(ending)])
            if self.found() or self.stopped:
                return

    def remove_prefixes(self) -> None:
        for _ in range(3):
            self._prefix_round()
            if self.found():
                return

    def _prefix_round(self) -> None:
        before = len(self.removals)
        plain = next((p for p in _PLAIN_PREFIXES if self.current.startswith(p)), None)
        if plain is not None:
            self._remove(_PREFIX, self.current[len(plain) :])
        if self.found() or self.stopped or len(self.removals) > before:
            return
        for rules in _VISITORS_BY_LETTER.get(self.current[:1], []):
            result = None
            for rule in rules:
                result = rule(self.current)
                if result is not None and result in self.roots:
                    break
            if result is None:
                continue
            self._remove(_PREFIX, result)
            return

    def restore_suffixes(self) -> None:
        """ECS's "loop pengembalian akhiran": put suffixes back one by one and retry prefixes."""
        if self.removals:
            self.current = self.removals[0][1]
        removals = [removal for removal in self.removals if removal[0] != _PREFIX]
        self.removals = list(removals)
        current = self.current
        for kind, subject, result, removed in reversed(removals):
            if kind not in _SUFFIX_KINDS:
                continue
            if removed == "kan":
                self.current = result + "k"
                self.remove_prefixes()
                if self.found():
                    return
                self.current = result + "kan"
            else:
                self.current = subject
            self.remove_prefixes()
            if self.found():
                return
            self.removals = list(removals)
            self.current = current
