"""How hard a pseudonymisation key is to guess, and the rule a key must pass.

Anyone holding the pseudonymised tables and a few original ids (their own nominal number, a
reference number from a court list) can test candidate keys offline, one HMAC-SHA256 each. So a
key must be beyond search, not only long: ``aaaaaaaaaaaaaaaa``, ``1234567890123456``,
``passwordpassword`` or ``qwertyuiopasdfgh`` are 16 characters and found at once.

The estimate is zxcvbn's (Dropbox's password-strength model, the maintained ``zxcvbn`` package):
it splits the key into the cheapest sequence of dictionary words (also reversed or with l33t
substitutions), keyboard walks, repeats, sequences, dates and years, and counts the guesses an
attacker trying those patterns first would need. One change: a stretch that fits no pattern is
counted by its alphabet (16 a character for hexadecimal, else 10 / 26 / 26 / 33 for each of
digits, lower case, upper case and other characters it uses) rather than zxcvbn's flat 10, which
suits passwords but undervalues random keys. Only the first 72 characters are assessed (zxcvbn's
limit); more characters only add strength.

A key needs :data:`MIN_KEY_BITS` (80) bits: 2^80 guesses at 10^12 HMAC-SHA256 a second (a large
GPU cluster) take about 38,000 years. ``python -c "import secrets; print(secrets.token_hex(32))"``
gives 256 bits.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from zxcvbn import matching, scoring

MIN_KEY_LENGTH = 16
MIN_KEY_BITS = 80
ASSESSED_CHARACTERS = 72  # zxcvbn's maximum length

_RANDOM_TOO_SHORT = "its random part is too short for the characters it uses"
#: What each zxcvbn pattern means, as a reason a key is weak (never a part of the key).
_REASONS = {
    "repeat": "it repeats a short pattern",
    "sequence": "it runs in sequence (like 1234 or abcd)",
    "spatial": "it follows a keyboard pattern (like qwerty or 1qaz2wsx)",
    "dictionary": "it is made of common words, names or passwords",
    "date": "it contains a date",
    "regex": "it contains a recent year",
}


@dataclass(frozen=True)
class KeyStrength:
    """The estimated strength of a key in bits, and why it is weak (in words, without the key)."""

    bits: float
    length: int
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.length >= MIN_KEY_LENGTH and self.bits >= MIN_KEY_BITS

    def explain(self) -> str:
        """Why the key is refused (for an error message)."""
        if self.length < MIN_KEY_LENGTH:
            return f"it is too short (fewer than {MIN_KEY_LENGTH} characters)"
        why = "; ".join(self.reasons) or _RANDOM_TOO_SHORT
        return (f"it is too easy to guess: {why} (an estimated {self.bits:.0f} bits of strength; at least "
                f"{MIN_KEY_BITS} are needed so that nobody holding the pseudonymised data can find the key "
                "by trying keys)")


def _alphabet(chars: str) -> int:
    """How many characters an attacker must try for each character of a patternless stretch."""
    alnum = [c for c in chars if c.isalnum()]
    symbols = {c for c in chars if not c.isalnum()}
    letters = [c for c in alnum if not c.isdigit()]
    if letters and all(c in string.hexdigits for c in alnum) and not (
            any(c in "abcdef" for c in letters) and any(c in "ABCDEF" for c in letters)):
        return 16 + len(symbols)
    size = 10 * any(c.isdigit() for c in chars) + 26 * any(c.islower() for c in chars)
    size += 26 * any(c.isupper() for c in chars) + 33 * bool(symbols or any(not c.isascii() for c in alnum))
    return max(size, 10)


@contextmanager
def _bruteforce_alphabet(size: int) -> Iterator[None]:
    """zxcvbn counts a patternless character as ``scoring.BRUTEFORCE_CARDINALITY`` guesses."""
    saved = scoring.BRUTEFORCE_CARDINALITY
    scoring.BRUTEFORCE_CARDINALITY = size
    try:
        yield
    finally:
        scoring.BRUTEFORCE_CARDINALITY = saved


def _log2(guesses: Decimal | float | int) -> float:
    if isinstance(guesses, Decimal):
        return float(guesses.ln() / Decimal(2).ln())
    return math.log2(guesses)


def _cheapest(key: str, alphabet: int) -> tuple[float, list[dict]]:
    with _bruteforce_alphabet(alphabet):
        matches = matching.omnimatch(key, matching.RANKED_DICTIONARIES)
        result = scoring.most_guessable_match_sequence(key, matches)
    return _log2(result["guesses"]), result["sequence"]


def key_strength(key: str) -> KeyStrength:
    """The strength of ``key`` (see the module docstring for the model)."""
    assessed = key[:ASSESSED_CHARACTERS]
    if not assessed:
        return KeyStrength(0.0, 0)
    bits, sequence = _cheapest(assessed, _alphabet(assessed))
    # a second pass counts the patternless stretches by their own alphabet (hex after a word, say)
    rest = "".join(m["token"] for m in sequence if m["pattern"] == "bruteforce")
    if rest and _alphabet(rest) < _alphabet(assessed):
        bits2, sequence2 = _cheapest(assessed, _alphabet(rest))
        if bits2 < bits:
            bits, sequence = bits2, sequence2
    reasons = list(dict.fromkeys(_REASONS[m["pattern"]] for m in sequence if m["pattern"] in _REASONS))
    patternless = sum(len(m["token"]) for m in sequence if m["pattern"] == "bruteforce")
    if 2 * patternless >= len(assessed):
        reasons.append(_RANDOM_TOO_SHORT)
    return KeyStrength(bits, len(key), tuple(reasons))
