"""People's names in free text, whatever their case or place in the sentence.

The lists (``data/names.csv``: ONS forenames and their nicknames, the US Census 1990 surnames;
``data/words.txt.gz``: English words; sources and licences in ``data/README.md``) say what a token
may be: a forename, a surname, an English word, or several. :func:`find_names` reads a text token by
token and returns typed :class:`NameFinding` s, each *sure* (withhold) or *unsure* (review):

Sure (a name):
  - a title with a name: "Mrs Jane Doe", "PC Smith", "officer kyle" (:data:`TITLES`);
  - a name introduced as one: "my name is dan", "call me Kyle";
  - a forename and a surname together, any case: "John Smith", "kyle smith" (both ordinary words,
    "will young", count only when both are capitalised: "Will Young"; before a place word, "Grace
    Darling Hall", the pair is unsure);
  - in a person's words (:attr:`TextKind.PROSE`), a forename that is not an English word, any case,
    anywhere: "my caseworker kyle", "Dave was brilliant.", "KYLE".

Unsure (for the evaluator to review):
  - in prose, a forename that is also a word, capitalised mid-sentence ("thanks to Grace"), or
    starting a sentence with a verb after it ("Will was great");
  - in prose, any other capitalised word mid-sentence that is not an English word (a possible name
    or place: "Tesco", "Okonkwo"), or that is a surname ("Brown");
  - in a label (:attr:`TextKind.LABEL`: a site, funder, logic model box, config name), a forename on
    its own ("Paul Hamlyn Foundation"), except a saint or a monarch ("St Mary's", "King George's
    Field") or a place named after one ("Victoria Park"); a forename's possessive before a place
    word is unsure even then ("Kyle's garden").

Not names: lower-case words ("I will", "with hope"), acronyms of up to three capitals ("IJ",
"ASB"; unless the whole text is in capitals: "KEV WAS SOUND"), capitalised English words
mid-sentence in prose ("the Workshop"), the words of :data:`ALLOWED_CAPITALISED` (months, days,
institutions), and in labels capitalised words that are not forenames (place names are normal
there).

A known gap: two lower-case names that are both English words ("john smith", "jack wood") are not
taken as a name, so that "will young" and "rose hill" are not either; capitalised, they are.
"""

from __future__ import annotations

import csv
import functools
import gzip
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

DATA = "ij_eval.privacy.data"


class TextKind(StrEnum):
    """What sort of text a field holds, which decides how capital letters are read."""

    PROSE = "prose"  # sentences a person wrote (survey comments): a capital mid-sentence is a signal
    LABEL = "label"  # a short name or description written by staff or config: Title Case is normal


class NameKind(StrEnum):
    """What a name finding is, in words that finish "looks like ..."."""

    TITLED = "a name with a title"
    INTRODUCED = "a name introduced as one"
    FULL_NAME = "a forename and surname"
    FORENAME = "a first name"
    WORD_NAME = "a word that may be a first name"
    CAPITALISED = "a capitalised word that may be a name or place"


@dataclass(frozen=True)
class NameFinding:
    kind: NameKind
    start: int
    end: int
    sure: bool  # True: withhold; False: unsure, for review


@dataclass(frozen=True)
class NameInfo:
    """What a token may be (looked up in lower case, any possessive removed)."""

    forename: bool
    surname: bool
    word: bool


@functools.cache
def _lists() -> tuple[dict[str, NameInfo], frozenset[str]]:
    names: dict[str, list[bool]] = {}
    with resources.files(DATA).joinpath("names.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            entry = names.setdefault(row["name"], [False, False, row["word"] == "true"])
            entry[0 if row["kind"] == "forename" else 1] = True
    with resources.files(DATA).joinpath("words.txt.gz").open("rb") as raw, gzip.open(raw, "rt",
                                                                                      encoding="utf-8") as fh:
        words = frozenset(fh.read().split())
    return {k: NameInfo(*v) for k, v in names.items()}, words


def lookup(token: str) -> NameInfo | None:
    """Whether ``token`` is a known forename or surname (and whether it is also a word)."""
    return _lists()[0].get(_base(token))


def is_word(token: str) -> bool:
    """Whether ``token`` (any case, possessive removed) is an English word of the shipped list."""
    base = _base(token)
    return base in _lists()[1] or base in _FUNCTION_WORDS


def _base(token: str) -> str:
    return _APOSTROPHE_S.sub("", token.lower())


#: Titles before a name. Abbreviations take any following name; the ones that are also ordinary
#: words ("officer", "miss") need a capitalised or non-word name after them.
TITLES = frozenset("mr mrs ms miss mx dr pc pcso dc ds di dci sgt sergeant inspector officer constable "
                   "sir dame lady lord auntie aunty uncle nan nanna grandad cllr councillor rev reverend "
                   "father prof professor coach".split())
_ABBREVIATED_TITLES = frozenset("mr mrs ms mx dr pc pcso dc ds dci sgt cllr rev prof".split())
#: Words before a forename that make it a saint's, a monarch's or a title of nobility, not a person here.
_HONORIFIC = frozenset("st st. saint king queen prince princess duke duchess lady lord".split())
#: Words after a forename that make the pair a place ("Victoria Park", "Albert Road").
PLACE_WORDS = frozenset("""
park road street st lane avenue ave close way drive crescent court place terrace gardens garden grove hill
green square row walk mews parade rise view vale field fields playing recreation rec common wood woods centre
center hall church chapel cathedral mosque temple gurdwara synagogue school college academy university library
house estate bridge market station allotment allotments cemetery memorial community leisure sports club
pavilion meadow meadows farm brook river canal bank heath moor hospital surgery arms inn hotel tower palace
foundation trust fund charity hub gate square quay wharf dock docks point cross circus shopping precinct
""".split())
#: Capitalised words that are not names in prose (besides sentence starts, acronyms and English words).
ALLOWED_CAPITALISED = frozenset("""
i i'm i've i'd i'll im ive id ok okay immediate justice police policing council community youth offending team
service services probation court magistrates england wales britain british english welsh scotland scottish
ireland irish uk christmas easter eid diwali ramadan god mum dad mr mrs ms monday tuesday wednesday thursday
friday saturday sunday january february march april may june july august september october november december
yes no thanks thank sorry please internet google facebook instagram tiktok snapchat whatsapp youtube
""".split())
_MONTHS_AND_DAYS = frozenset("january february march april may june july august september october november "
                             "december monday tuesday wednesday thursday friday saturday sunday".split())
#: Words after a sentence-initial word-name that make it a person ("Will was great").
_PERSON_VERBS = frozenset("was is were has had said told helped listened explained showed made gave took "
                          "came always really never did does understood talked spoke knew cared".split())
_FUNCTION_WORDS = frozenset("a an the and or but if of to in on at by for from with as is are was were be "
                            "been not no yes so i me my we us our you your he him his she her they them their "
                            "it its this that these those".split())
#: Everyday words that are also surnames or forenames ("will", "may", "king"): after a title that is
#: itself a word ("officer will help") they are not taken as a name.
_COMMON_WORDS = _FUNCTION_WORDS | frozenset("will may can could would should shall might must did does do has have had "
                                            "who which what when where how then there here very really just also "
                                            "always never even still only too well good best young king long "
                                            "little small white black brown green gray grey".split())
_INTRO = re.compile(r"(?i)\b(?:my\s+name\s+is|my\s+name'?s|my\s+names|i'?m\s+called|i\s+am\s+called|call\s+me|"
                    r"named|called|known\s+as|goes\s+by)\s+$")
_STRICT_INTRO = re.compile(r"(?i)\b(?:my\s+name\s+is|my\s+name'?s|my\s+names)\s+$")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?…]['\")\]]*\s+|\n\s*|^['\"(]\s*|[:;]\s+['\"]\s*|\s['\"(]|[-–•*]\s+)$")
_APOSTROPHE_S = re.compile(r"['’]s?$")
_POSSESSIVE = re.compile(r"(?i)['’]s$")
_AFTER_APOSTROPHE = re.compile(r"['’].*$")
_GAP = re.compile(r"\s+|\s*-\s*")  # between the words of one name
_TITLE_GAP = re.compile(r"\.?\s+")  # between a title and a name ("Mr. Smith")
_LOOK_BACK = 40  # characters before a token that decide whether it starts a sentence or follows "my name is"


def _before(text: str, start: int) -> str:
    """The text just before ``start`` (at most :data:`_LOOK_BACK` characters; a look-back into the whole
    text would make a long text quadratic). A cut window starts with a marker no pattern matches."""
    return text[:start] if start <= _LOOK_BACK else "\x00" + text[start - _LOOK_BACK:start]


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    info: NameInfo | None
    word: bool
    capitalised: bool  # first letter upper case, the rest lower case ("Kyle", "McDonald")
    upper: bool  # all capitals ("KYLE", "IJ")
    sentence_start: bool
    shouted: bool = False  # the whole text is in capitals

    @property
    def base(self) -> str:
        return _base(self.text)

    @property
    def possessive(self) -> bool:
        return bool(_POSSESSIVE.search(self.text))

    @property
    def acronym(self) -> bool:
        return self.upper and len(self.text) <= 3 and not self.shouted

    def forename(self, *, allow_short_lower: bool = False) -> bool:
        """A forename (not an acronym; two-letter forenames only when capitalised: "Jo", not "jo")."""
        if self.info is None or not self.info.forename or self.acronym:
            return False
        return len(self.base) > 2 or self.capitalised or allow_short_lower

    def surname(self) -> bool:
        return self.info is not None and self.info.surname and not self.acronym and len(self.base) > 1


def _tokens(text: str) -> list[_Token]:
    """The words of ``text``. In text written in capitals ("KEV WAS SOUND": most words of two or more
    letters all capitals) a short capitalised word is not an acronym but a shouted word."""
    words = [m.group(0) for m in _TOKEN.finditer(text) if len(m.group(0)) > 1]
    shouting = len(words) >= 2 and sum(w.isupper() for w in words) >= 0.6 * len(words)
    out = []
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        letters = _AFTER_APOSTROPHE.sub("", t)
        out.append(_Token(
            t, m.start(), m.end(), lookup(t), is_word(t),
            capitalised=letters[:1].isupper() and not letters.isupper() if len(letters) > 1 else letters.isupper(),
            upper=letters.isupper() and len(letters) > 1,
            sentence_start=bool(_SENTENCE_START.search(_before(text, m.start()))), shouted=shouting))
    return out


def _adjacent(text: str, a: _Token, b: _Token) -> bool:
    """``b`` follows ``a`` with only spaces (or a hyphen) between them."""
    return _GAP.fullmatch(text, a.end, b.start) is not None


def find_names(text: str, kind: TextKind = TextKind.PROSE) -> list[NameFinding]:
    """Every stretch of ``text`` that looks like a person's name (see the module docstring), in order."""
    tokens = _tokens(text)
    found: list[NameFinding] = []
    covered: set[int] = set()  # token indexes already part of a finding

    def add(kind_: NameKind, first: int, last: int, *, sure: bool) -> None:
        found.append(NameFinding(kind_, tokens[first].start, tokens[last].end, sure))
        covered.update(range(first, last + 1))

    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) and _adjacent(text, tok, tokens[i + 1]) else None
        # a title with a name after it ("Mr. Smith" too)
        after_title = tokens[i + 1] if i + 1 < len(tokens) and _TITLE_GAP.fullmatch(
            text, tok.end, tokens[i + 1].start) else None
        if tok.base in TITLES and after_title is not None and _title_takes(tok, after_title):
            add(NameKind.TITLED, i, i + 1, sure=True)
            continue
        # a name introduced as one
        before = _before(text, tok.start)
        if i not in covered and _INTRO.search(before) and (
                _STRICT_INTRO.search(before) and tok.base not in _FUNCTION_WORDS
                or tok.forename(allow_short_lower=True) and not tok.word or tok.capitalised and not tok.sentence_start):
            add(NameKind.INTRODUCED, i, i, sure=True)
            continue
        # a forename and a surname
        if i not in covered and nxt is not None and tok.forename() and nxt.surname() \
                and tok.base not in _HONORIFIC and nxt.base not in PLACE_WORDS and _full_name(tok, nxt):
            after = tokens[i + 2] if i + 2 < len(tokens) and _adjacent(text, nxt, tokens[i + 2]) else None
            # "Grace Darling Hall": a place named after a person is for review, not withheld
            add(NameKind.FULL_NAME, i, i + 1, sure=not (after is not None and after.base in PLACE_WORDS
                                                         and not nxt.possessive))
    for i, tok in enumerate(tokens):
        if i in covered:
            continue
        prev = tokens[i - 1] if i > 0 and _adjacent(text, tokens[i - 1], tok) else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) and _adjacent(text, tok, tokens[i + 1]) else None
        finding = (_in_prose if kind is TextKind.PROSE else _in_label)(tok, prev, nxt)
        if finding is not None:
            add(finding[0], i, i, sure=finding[1])
    return sorted(found, key=lambda f: (f.start, f.end))


def _title_takes(title: _Token, name: _Token) -> bool:
    """Whether the token after a title is a name: any known name after an abbreviation ("Mr Brown",
    "pc smith"); after a title that is also a word, a capitalised or non-word name ("officer Kyle")."""
    if name.base in _FUNCTION_WORDS:
        return False
    if title.base in _ABBREVIATED_TITLES:
        return name.info is not None or name.capitalised or not name.word
    if name.capitalised or not name.word:
        return not name.word or name.info is not None
    return name.surname() and name.base not in _COMMON_WORDS  # "officer smith", not "officer will"


def _full_name(first: _Token, last: _Token) -> bool:
    """A forename + surname pair is a name unless both are ordinary lower-case words ("will young")."""
    if first.capitalised and last.capitalised or first.upper and last.upper:
        return True
    return not (first.info.word and last.info.word) if first.info and last.info else False


def _exempt_month(tok: _Token) -> bool:
    return tok.base in _MONTHS_AND_DAYS


def _in_prose(tok: _Token, prev: _Token | None, nxt: _Token | None) -> tuple[NameKind, bool] | None:
    if prev is not None and prev.base in _HONORIFIC and tok.capitalised:
        return None  # St Mary's, King George
    if tok.forename() and not tok.info.word and not _exempt_month(tok):
        return NameKind.FORENAME, True
    if tok.acronym or tok.upper or not (tok.capitalised or tok.upper):
        return None
    if tok.base in ALLOWED_CAPITALISED:
        return None
    if tok.sentence_start:
        if tok.forename() and nxt is not None and nxt.base in _PERSON_VERBS:
            return NameKind.WORD_NAME, False  # "Will was great"
        return None
    if tok.forename():
        return NameKind.WORD_NAME, False  # "thanks to Grace"
    if not tok.word or tok.surname():
        return NameKind.CAPITALISED, False
    return None


def _in_label(tok: _Token, prev: _Token | None, nxt: _Token | None) -> tuple[NameKind, bool] | None:
    if not tok.forename() or tok.info.word or _exempt_month(tok):
        return None
    if prev is not None and prev.base in _HONORIFIC:
        return None  # St Mary's Church, King George's Field
    if nxt is not None and nxt.base in PLACE_WORDS and not tok.possessive:
        return None  # Victoria Park, Albert Road
    return NameKind.FORENAME, False
