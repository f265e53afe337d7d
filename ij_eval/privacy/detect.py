"""Find things in text that identify or contact a person: the one set of detectors.

Every check on text uses these: the validator scanning input columns, the screen on free text
that may be published, and the publication gate on the finished store and report. Each detector
is a compiled pattern with a :class:`Kind`; :func:`find_identifiers` runs the ones asked for and
returns typed :class:`Finding` s (where, and what kind), never the value itself in a message
(:func:`masked` shows just enough to find it).

What counts, in the forms people write them:

- **email addresses**, also spelled out ("kyle dot smith at gmail dot com", "kyle(at)gmail(dot)com");
- **UK phone numbers**: 10 or 11 digits from 0, or +44 / 0044, with spaces, dashes, dots or
  brackets between them; also read out in words ("oh seven seven double oh ...");
- **UK postcodes** (any case, with or without the space);
- **National Insurance numbers** (two letters, six digits, a final A-D; any prefix, so HMRC's
  example ``QQ 12 34 56 C`` counts too);
- **PNC ids** (``12/345678A``, ``2012/0123456A``) and **CRO numbers** (``123456/89X``, ``SF 93/123456A``);
- **dates of birth** (a date after "DOB", "date of birth", "birthday", "born on", also with "is" or "was"
  between: "my date of birth is 12/04/2008");
- **pseudonymised ids** in published text: person ids (``p_`` + 16 hex characters) and the
  reference numbers ``ij-eval pseudonymise`` hashes (``r_`` referral, ``s_`` survey response,
  ``o_`` offence, ``i_`` incident, + 16 hex characters; :mod:`ij_eval.privacy.columns`).

And personal details that are not identifiers on their own but narrow a person down, looked for only
by the free-text screen (:data:`DETAILS`, :mod:`ij_eval.privacy.screen`):

- **street addresses**: a house number and a street ("14 Elm Road", "14a, Elm Road"), or a flat
  ("Flat 2", "apartment 4b");
- **ages** of a person: "aged 14", "I'm 15", "I was 14", "15 year old", "15yo", "turned 16" (age
  ranges of a group, "aged 10-17", "aged 18 and over", "16 year olds", are not a person's age);
- **birth years** ("born in 2009", "b. 2009", "year of birth 2009") and **school years** ("I'm in
  year 9", "Year 10 pupil", "class of 2012", "left school in 2019");
- **any date** ("3rd March", "12/04/2024"): in a person's words it may be a date of birth.

:func:`could_hold_identifier` is a fast polars pre-filter: a value it passes over cannot hold a
contact detail or official id, so only the rest need the (Python) detectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import polars as pl


class Kind(StrEnum):
    """What a finding is, in words that finish "looks like ..."."""

    EMAIL = "an email address"
    SPELLED_EMAIL = "an email address written out in words"
    PHONE = "a UK phone number"
    SPELLED_PHONE = "a phone number written out in words"
    POSTCODE = "a UK postcode"
    NI_NUMBER = "a National Insurance number"
    PNC_ID = "a PNC id"
    CRO_NUMBER = "a CRO number"
    DATE_OF_BIRTH = "a date of birth"
    PSEUDONYM = "a pseudonymised person id"
    REFERENCE_PSEUDONYM = "a pseudonymised reference number"
    STREET_ADDRESS = "a street address"
    AGE = "a person's age"
    BIRTH_YEAR = "a year of birth"
    SCHOOL_YEAR = "a school year"
    DATE = "a date (possibly a date of birth)"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int

    def line(self, text: str) -> int:
        """1-based line of ``text`` the finding starts on."""
        return text.count("\n", 0, self.start) + 1

    def shown(self, text: str) -> str:
        return masked(text[self.start:self.end])


def masked(value: str) -> str:
    """Enough of a match to find it, not enough to repeat it."""
    return value[:3] + "…" if len(value) > 3 else "…"


_DOT = r"\s*(?:[(\[{<]\s*dot\s*[)\]}>]|\bdot\b|\.)\s*"
_AT = r"\s*(?:[(\[{<]\s*at\s*[)\]}>]|\bat\b|@)\s*"
MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
DATE = (r"(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTHS + r",?\s+\d{2,4}|"
        + MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{2,4})")
_DIGIT_WORD = r"(?:zero|nought|oh|o|one|two|three|four|five|six|seven|eight|nine|\d)"
_SPOKEN_RUN = rf"(?:(?:double|triple)\s+)?{_DIGIT_WORD}"

_NUMBER_WORD = (r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
                r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|"
                r"eight|nine))?)")
_AGE_NUMBER = rf"(?:[1-9]\d?|{_NUMBER_WORD})"
#: What may follow a number that makes it not an age: a unit, a time, a range of ages (a group).
_NOT_AN_AGE = (r"(?!\s*(?:%|percent|per\b|minutes?|mins?|hours?|hrs?|h\b|days?|weeks?|wks?|months?|years?(?!\s*old\b)|"
               r"yrs?(?!\s*old\b)|times?|pounds?|quid|p\b|pence|am\b|pm\b|o'?clock|:\d|\.\d|miles?|km|metres?|"
               r"feet|foot|ft\b|inch(?:es)?|stone|kg|people|persons?|of\b|out\s+of|x\b|[-–]\s*\d|to\s+\d|\+|plus\b|"
               r"and\s+(?:over|under|above|below|older|younger)|or\s+(?:over|under|above|below|older|younger)))")
_STREET_WORDS = (r"(?:street|st|road|rd|lane|ln|avenue|ave|close|cl|way|drive|dr|crescent|cres|court|ct|place|pl|"
                 r"terrace|gardens|gdns|grove|hill|park|square|sq|row|walk|mews|parade|green|rise|view|vale|"
                 r"boulevard|gate|croft|fold|wynd|chase|meadows?|glade|end|grange|paddock)")
#: Words that cannot be part of a street's name: "3 hours on the road" is not an address.
_NOT_STREET_NAME = (r"(?:the|a|an|on|in|at|to|of|and|or|for|from|with|my|our|your|his|her|their|this|that|"
                    r"hours?|hrs?|days?|weeks?|months?|years?|minutes?|mins?|times?|people|of|miles?|km|more|"
                    r"other|different|same|new|old|main|back|front|down|up|off|by|near|along|across)\b")
_STREET_NAME = rf"(?:(?!{_NOT_STREET_NAME})[a-z][a-z'’-]*)"

PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.EMAIL: re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    # someone at domain dot tld, with "dot" / "at" as words or in brackets; the "at" must be spelled
    # out or bracketed (a real @ is Kind.EMAIL) and the domain must end in "dot" + a top-level domain
    Kind.SPELLED_EMAIL: re.compile(
        r"(?i)\b[a-z0-9][\w+-]*(?:" + _DOT + r"[\w+-]+)*"
        + r"\s*(?:[(\[{<]\s*at\s*[)\]}>]|\s\bat\b)\s*"
        + r"[a-z0-9-]+(?:" + _DOT + r"[a-z0-9-]+)*?"
        + r"\s*(?:[(\[{<]\s*dot\s*[)\]}>]|\bdot\b)\s*"
        + r"(?:com|co|org|net|uk|gov|ac|nhs|police|sch|ltd|me|info|io)\b"),
    Kind.PHONE: re.compile(
        r"(?<![\w.+/])(?:(?:\+|00)44[\s.-]?(?:\(0\)[\s.-]?)?|\(?0)"
        r"\d{2,4}\)?(?:[\s.-]?\d){6,8}(?![\w/]|\.\d)"),
    Kind.SPELLED_PHONE: re.compile(
        rf"(?i)\b{_SPOKEN_RUN}(?:[\s,-]+{_SPOKEN_RUN}){{6,}}\b"),
    Kind.POSTCODE: re.compile(
        r"(?i)(?<![\w])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?![\w])"),
    Kind.NI_NUMBER: re.compile(
        r"(?i)(?<![\w])[A-Z]{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D](?![\w])"),
    Kind.PNC_ID: re.compile(r"(?i)(?<![\w/])(?:\d{2}|(?:19|20)\d{2})/\d{5,7}[A-HJ-NP-Z](?![\w/])"),
    Kind.CRO_NUMBER: re.compile(r"(?i)(?<![\w/])(?:SF\s?\d{2}/\d{1,6}|\d{1,6}/\d{2})[A-HJ-NP-Z](?![\w/])"),
    Kind.DATE_OF_BIRTH: re.compile(
        r"(?i)\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)(?:\s+(?:is|was|were))?"
        r"\W{0,3}" + DATE),
    Kind.PSEUDONYM: re.compile(r"(?<![\w])p_[0-9a-f]{16}(?![\w])"),
    Kind.REFERENCE_PSEUDONYM: re.compile(r"(?<![\w])[rsoi]_[0-9a-f]{16}(?![\w])"),
    Kind.STREET_ADDRESS: re.compile(
        r"(?i)\b(?:(?:flat|apartment|apt|maisonette)\.?\s*(?:no\.?\s*)?\d+[a-z]?\b"
        rf"|\d{{1,4}}[a-z]?,?\s+(?:{_STREET_NAME}\s+){{1,3}}{_STREET_WORDS}\b)"),
    Kind.AGE: re.compile(
        rf"(?i)\b(?:(?:aged?|age:)\s*{_AGE_NUMBER}\b{_NOT_AN_AGE}"
        rf"|(?:i'?m|i\s+am|i\s+was|i\s+were|he'?s|she'?s|he\s+is|she\s+is|he\s+was|she\s+was|"
        rf"(?:my|our|his|her)\s+(?:son|daughter|brother|sister|mate|friend|boy|girl|kid|child)\s+(?:is|was))\s+"
        rf"(?:only\s+|just\s+|nearly\s+|almost\s+|now\s+)?{_AGE_NUMBER}\b{_NOT_AN_AGE}"
        rf"|{_AGE_NUMBER}[\s-]*(?:years?|yrs?|yr)[\s-]*old\b(?!s)"
        rf"|[1-9]\d?\s*(?:yo|y/o|y\.o\.?)(?!\w)"
        rf"|turn(?:ed|ing|s)?\s+(?:1\d|[2-9]\d|{_NUMBER_WORD})\b{_NOT_AN_AGE})"),
    Kind.BIRTH_YEAR: re.compile(
        r"(?i)\b(?:(?:born|b\.)\s*(?:in\s+|during\s+)?(?:(?:19|20)\d{2}|'\d{2})(?!\d)"
        r"|(?:year\s+of\s+birth|birth\s*year|yob|d\.?o\.?b\.?)\W{0,3}(?:19|20)\d{2}(?!\d))"),
    Kind.SCHOOL_YEAR: re.compile(
        r"(?i)\b(?:(?:i'?m|i\s+am|am|was|i\s+was|were|is|in|into|starting|start|started|going\s+into|finished)\s+"
        r"(?:in\s+)?(?:year|yr|y)\s?(?:[1-9]|1[0-3])\b(?!\s*(?:of|\d))"
        r"|(?:year|yr)\s?(?:[1-9]|1[0-3])\s+(?:pupil|student|kid|boy|girl|class|form|group)s?\b"
        r"|class\s+of\s+(?:(?:19|20)\d{2}|'\d{2})(?!\d)"
        r"|(?:left|leaving|leave|finished|finish|started|start)\s+(?:school|college|sixth\s+form)\s+"
        r"(?:in\s+)?(?:19|20)\d{2}(?!\d))"),
    Kind.DATE: re.compile(
        r"(?i)\b" + DATE + r"\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTHS
        + r"\b|\b" + MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)\b"),
}

#: The detectors for contact details and official ids: what no text from a person may hold.
CONTACT_AND_IDS: tuple[Kind, ...] = (Kind.EMAIL, Kind.SPELLED_EMAIL, Kind.PHONE, Kind.SPELLED_PHONE, Kind.POSTCODE,
                                     Kind.NI_NUMBER, Kind.PNC_ID, Kind.CRO_NUMBER, Kind.DATE_OF_BIRTH)
#: Pseudonyms ``ij-eval pseudonymise`` writes: never published.
PSEUDONYMS: tuple[Kind, ...] = (Kind.PSEUDONYM, Kind.REFERENCE_PSEUDONYM)
#: Personal details the free-text screen also looks for (not identifiers by themselves, so neither the
#: validator nor the publication gate refuses them).
DETAILS: tuple[Kind, ...] = (Kind.STREET_ADDRESS, Kind.AGE, Kind.BIRTH_YEAR, Kind.SCHOOL_YEAR, Kind.DATE)
#: Every identifier kind (contact details, official ids, dates of birth, pseudonyms): the default of
#: :func:`find_identifiers`; :data:`DETAILS` are asked for by name.
ALL: tuple[Kind, ...] = (*CONTACT_AND_IDS, *PSEUDONYMS)

#: A necessary condition for any :data:`CONTACT_AND_IDS` finding, in polars' (Rust) regex syntax:
#: every one of those patterns needs a digit, an ``@``, the word "dot" (a spelled-out email) or
#: digits said as words (a spelled-out phone number). Keep it in step with :data:`PATTERNS`
#: (``tests/test_identifier_columns.py`` checks it on examples of every kind).
MAYBE_CONTACT_OR_ID = (r"(?i)[\d@]|\bdot\b|\b(?:zero|nought|oh|o|one|two|three|four|five|six|seven|eight|nine)\b")


#: Whole values that are plainly codes and cannot hold any of :data:`CONTACT_AND_IDS`: a pseudonym
#: (``p_`` + 16 hex characters: one word, no separator a pattern could start after) or a short
#: code of up to four letters and up to nine digits (``R000123``, ``PL-12``: a phone number needs
#: ten digits, a postcode, NI, PNC or CRO number a letter or ``/`` after its digits).
PLAIN_CODE = r"^(?:[a-z]_[0-9a-f]{16}|[A-Za-z]{0,4}[-_]?\d{1,9})$"


def could_hold_identifier(s: pl.Series) -> pl.Series:
    """False where a text value certainly holds none of :data:`CONTACT_AND_IDS` (null stays null).

    Vectorised (polars), so that only the few values it passes need the detectors.
    """
    text = s.cast(pl.String)
    return text.str.contains(MAYBE_CONTACT_OR_ID) & ~text.str.contains(PLAIN_CODE)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _plausible(kind: Kind, match: str) -> bool:
    """Checks a pattern cannot express: a phone number's digit count, a spoken number's length."""
    if kind is Kind.PHONE:
        n = _digits(match)
        international = match.lstrip("(").startswith(("+", "00"))
        return n in (12, 13) if international else n in (10, 11)
    if kind is Kind.SPELLED_PHONE:
        words = re.findall(r"(?i)double|triple|" + _DIGIT_WORD, match)
        count, repeat = 0, 1
        for w in words:
            lw = w.lower()
            if lw in ("double", "triple"):
                repeat = 2 if lw == "double" else 3
                continue
            count += repeat
            repeat = 1
        spelled = sum(not w.isdigit() and w.lower() not in ("o",) for w in words)
        return 10 <= count <= 13 and spelled >= 3
    return True


def find_identifiers(text: str, kinds: Iterable[Kind] = ALL) -> list[Finding]:
    """Every identifier-like stretch of ``text`` of the given kinds, in order of position.

    Overlapping findings are all kept (an email is also not a phone number, but a caller may
    want both kinds); ``ignore`` values (documented examples) are the caller's business.
    """
    found = []
    for kind in kinds:
        for m in PATTERNS[kind].finditer(text):
            if _plausible(kind, m.group(0)):
                found.append(Finding(kind, m.start(), m.end()))
    return sorted(found, key=lambda f: (f.start, f.end, f.kind))


def first_identifier(text: str, kinds: Iterable[Kind] = ALL) -> Finding | None:
    found = find_identifiers(text, kinds)
    return found[0] if found else None
