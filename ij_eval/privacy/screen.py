"""The one screening policy for free text that can be published, and the evaluator's output check.

Every text that reaches a table, figure, headline or note from an input file or the config goes
through :meth:`Screen.check` first: placement sites and ids, funders, cost and parameter sources,
the logic model, the scheme, force and evaluation team names, survey quotes, and the level labels
of declared covariates (the balance table). The policy (:func:`reasons`):

- **contact details and ids** (:data:`ij_eval.privacy.detect.ALL`: emails, also spelled out;
  phone numbers, also in words; postcodes; NI, PNC and CRO numbers; dates of birth; pseudonyms):
  withheld, and cannot be approved (the publication gate refuses them in any published file);
- **personal details** (:data:`ij_eval.privacy.detect.DETAILS`): a street address or flat, a
  person's age, a birth or school year: withheld; any other date, in a person's words: for review;
- **names** (:func:`ij_eval.privacy.names.find_names`): a title with a name, a name introduced as
  one, a forename with a surname, a forename that is not a word in a person's words: withheld;
  what may be a name (a capitalised word mid-sentence that is not an English word, a lone forename
  in a label): for review.

The verdict is typed (:class:`Verdict`): publish, withhold or review. Withheld and review items are
not published (a label becomes :data:`WITHHELD`, a quote is left out and counted) and are listed
in the review file (:data:`REVIEW_FILE`, a working file of the results store, never published),
one row per item with a stable id (:func:`item_id`). The evaluator reads it and approves items by
id in the config (``[publication] approved``); an approved item is published as written. This is
the output check of UK trusted research environments: what the rules are unsure of, a person
decides, and the decision is recorded.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from ij_eval.config import APPROVED_ID, EvaluationConfig
from ij_eval.errors import IJEvalError
from ij_eval.privacy import detect
from ij_eval.privacy.detect import Kind
from ij_eval.privacy.names import ALLOWED_CAPITALISED, TextKind, find_names

#: How withheld text is shown wherever it would have been published (one marker everywhere).
WITHHELD = "[withheld: may identify a person]"
#: The review file in the results store: a working file for the evaluator, never published.
REVIEW_FILE = "screening_review.csv"
#: An item id: "t-" and 8 hex characters (checked when the config is read).
ITEM_ID = APPROVED_ID
REVIEW_COLUMNS = {"id": pl.String, "status": pl.String, "verdict": pl.String, "source": pl.String,
                  "reasons": pl.String, "text": pl.String, "rows": pl.String}


class Verdict(StrEnum):
    """What the screen decided about a text."""

    PUBLISH = "publish"  # nothing found
    REVIEW = "review"  # possibly identifying: withheld until the evaluator approves it
    WITHHOLD = "withhold"  # identifying: withheld (contact details and ids even if approved)


@dataclass(frozen=True)
class Reason:
    """One thing the screen found: what (``"a first name"``), the stretch of text, how sure."""

    what: str
    shown: str
    verdict: Verdict
    approvable: bool = True  # False: contact details and ids, which no approval publishes

    def describe(self) -> str:
        return f"{self.what} ({self.shown!r})"


@dataclass(frozen=True)
class Source:
    """Where a text comes from: an input table and column, or ``config`` and a setting."""

    table: str
    field: str

    def describe(self) -> str:
        return f"config {self.field}" if self.table == "config" else f"{self.table}.{self.field}"


@dataclass(frozen=True)
class Screened:
    """A text and the screen's verdict on it."""

    source: Source
    text: str  # normalised (:func:`normalise`); what is published when it may be
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    approved: bool = False  # its id is in ``[publication] approved``
    rows: tuple[int, ...] = ()  # input file rows it was found in, when known

    @property
    def id(self) -> str:
        return item_id(self.source, self.text)

    @property
    def approvable(self) -> bool:
        return all(r.approvable for r in self.reasons)

    @property
    def publishable(self) -> bool:
        return self.verdict is Verdict.PUBLISH or (self.approved and self.approvable)

    @property
    def published(self) -> str:
        """The text as it may be published: itself, or :data:`WITHHELD`."""
        return self.text if self.publishable else WITHHELD

    @property
    def status(self) -> str:
        if self.verdict is Verdict.PUBLISH:
            return "published"
        if self.publishable:
            return "approved: published"
        if self.approved:
            return "approved, but withheld: contact details and ids are never published"
        return "withheld"


_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u2064\u206a-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")


def normalise(text: Any) -> str:
    """``text`` as screened and published: compatibility forms folded (NFKC: full-width letters,
    ligatures), invisible characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return " ".join(_INVISIBLE.sub("", text).split())


def item_id(source: Source, text: str) -> str:
    """A stable id for a text from one source: a plain SHA-256 of the source and the normalised text,
    first 8 hex characters (32 bits: a collision among a run's few thousand items is unlikely).

    Plain, not keyed: the run has no secret key (pseudonymisation's key stays with the force) and
    the id must not change between runs. It is printed only in the review file and the config,
    which are not published."""
    digest = hashlib.sha256(f"{source.table}\x1f{source.field}\x1f{normalise(text)}".encode()).hexdigest()
    return f"t-{digest[:8]}"


def reasons(text: str, kind: TextKind = TextKind.PROSE) -> tuple[Reason, ...]:
    """Everything in ``text`` (normalised) that may identify a person, by the policy of the module."""
    out = [Reason(str(f.kind), text[f.start:f.end], Verdict.WITHHOLD, approvable=False)
           for f in detect.find_identifiers(text, detect.ALL)]
    details = detect.DETAILS if kind is TextKind.PROSE else tuple(k for k in detect.DETAILS if k is not Kind.DATE)
    out += [Reason(str(f.kind), text[f.start:f.end], Verdict.REVIEW if f.kind is Kind.DATE else Verdict.WITHHOLD)
            for f in detect.find_identifiers(text, details)]
    out += [Reason(str(f.kind), text[f.start:f.end], Verdict.WITHHOLD if f.sure else Verdict.REVIEW)
            for f in find_names(text, kind)]
    return tuple(out)


def verdict(found: Sequence[Reason]) -> Verdict:
    if any(r.verdict is Verdict.WITHHOLD for r in found):
        return Verdict.WITHHOLD
    return Verdict.REVIEW if found else Verdict.PUBLISH


def codes(values: Iterable[Any], style: str) -> dict[Any, str]:
    """Stable codes for names published as codes: ``"Site 1"``, ``"Site 2"`` ... (``style`` "Site")
    or ``"Funder A"``, ``"Funder B"`` ... (``style`` "Funder"), in the sorted order of the values."""
    ordered = sorted({v for v in values if v is not None}, key=str)
    if style == "Funder":
        def letters(i: int) -> str:
            out = ""
            i += 1
            while i:
                i, r = divmod(i - 1, 26)
                out = string.ascii_uppercase[r] + out
            return out
        return {v: f"Funder {letters(i)}" for i, v in enumerate(ordered)}
    return {v: f"{style} {i + 1}" for i, v in enumerate(ordered)}


@dataclass(frozen=True)
class Screen:
    """The policy with the evaluator's approvals (``[publication] approved``)."""

    approved: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: EvaluationConfig) -> Screen:
        return cls(frozenset(config.publication.approved))

    def check(self, text: Any, source: Source, kind: TextKind = TextKind.LABEL,
              rows: Sequence[int] = ()) -> Screened:
        """The verdict on one text (normalised first)."""
        text = normalise(text)
        found = reasons(text, kind)
        return Screened(source, text, verdict(found), found, item_id(source, text) in self.approved,
                        tuple(sorted(set(rows)))[:20])

    def labels(self, values: Iterable[Any], source: Source, kind: TextKind = TextKind.LABEL, *,
               rows: Mapping[Any, Sequence[int]] | None = None, distinct: bool = False
               ) -> tuple[dict[Any, str], tuple[Screened, ...]]:
        """Each distinct value -> its published form, and the screened items to list for review.

        ``distinct``: withheld values stay distinct (``"[withheld: ...] #1"``, ``#2`` ... in the order
        of their ids), for values that are keys of a table or levels of a covariate. Nulls map to None.
        """
        mapping: dict[Any, str] = {}
        listed: list[Screened] = []
        for value in dict.fromkeys(v for v in values if v is not None):
            s = self.check(value, source, kind, (rows or {}).get(value, ()))
            mapping[value] = s.published
            if s.verdict is not Verdict.PUBLISH:
                listed.append(s)
        if distinct:
            hidden = sorted((s for s in listed if not s.publishable), key=lambda s: s.id)
            by_text = {s.text: f"{WITHHELD} #{i + 1}" for i, s in enumerate(hidden)}
            mapping = {v: by_text.get(normalise(v), p) if p == WITHHELD else p for v, p in mapping.items()}
        return mapping, tuple(listed)

    def column(self, frame: pl.DataFrame, column: str, source: Source, kind: TextKind = TextKind.LABEL, *,
               distinct: bool = False) -> tuple[pl.DataFrame, tuple[Screened, ...]]:
        """``frame`` with ``column``'s text as it may be published (see :meth:`labels`)."""
        if column not in frame.columns:
            return frame, ()
        values = frame[column].cast(pl.String)
        rows = None
        if "__row" in frame.columns:
            rows = defaultdict(list)
            for v, r in zip(values.to_list(), frame["__row"].to_list(), strict=True):
                rows[v].append(r)
        mapping, listed = self.labels(values.unique(maintain_order=True).to_list(), source, kind, rows=rows,
                                      distinct=distinct)
        published = values.replace_strict(mapping, default=None, return_dtype=pl.String) if mapping else values
        return frame.with_columns(published.alias(column)), listed


# ---------------------------------------------------------------------------------------------
# Survey quotes


@dataclass(frozen=True, eq=False)
class QuoteScreening:
    """Consented comments that may be quoted, how many were left out and why, and the items for review."""

    quotes: pl.DataFrame
    n_comments: int
    n_without_consent: int
    n_withheld: int
    reasons: Mapping[str, int] = field(default_factory=dict)
    screened: tuple[Screened, ...] = ()  # withheld and approved comments, for the review file

    def describe(self) -> str:
        return (f"{self.quotes.height} of {self.n_comments} comments may be quoted: {self.n_without_consent} "
                f"without consent to quote, {self.n_withheld} withheld because they might identify someone.")


def _consented(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "yes", "y", "1"} if value is not None else False


def quote_problems(text: str) -> list[str]:
    """Why a survey comment cannot be quoted without the evaluator's approval (empty: it can)."""
    return [r.describe() for r in reasons(normalise(text), TextKind.PROSE)]


def screen_quote(text: Any, screen: Screen | None = None, source: Source | None = None) -> str | None:
    """The comment as it may be quoted (normalised), or None when it is withheld."""
    if text is None or not normalise(text):
        return None
    s = (screen or Screen()).check(text, source or Source("survey", "comment"), TextKind.PROSE)
    return s.text if s.publishable else None


def screen_quotes(frame: pl.DataFrame, text_column: str, consent_column: str, *, screen: Screen | None = None,
                  source: Source | None = None) -> QuoteScreening:
    """Screen survey comments: only consented ones, each through :meth:`Screen.check` as prose."""
    for c in (text_column, consent_column):
        if c not in frame.columns:
            raise IJEvalError(f"survey quotes: no column {c!r} (columns: {', '.join(frame.columns)})")
    screen = screen or Screen()
    source = source or Source("survey", text_column)
    comments = frame.filter(pl.col(text_column).is_not_null()
                            & (pl.col(text_column).cast(pl.String).str.strip_chars() != ""))
    consent = [_consented(v) for v in comments[consent_column].to_list()]
    rows = comments["__row"].to_list() if "__row" in comments.columns else [None] * comments.height
    by_text: dict[str, list[int]] = defaultdict(list)
    order: list[str] = []
    for text, ok, row in zip(comments[text_column].cast(pl.String).to_list(), consent, rows, strict=True):
        if ok:
            key = normalise(text)
            if key not in by_text:
                order.append(key)
            by_text[key].extend([row] if row is not None else [])
    verdicts = {t: screen.check(t, source, TextKind.PROSE, by_text[t]) for t in order}
    kept, why, withheld = [], defaultdict(int), 0
    for text, ok in zip(comments[text_column].cast(pl.String).to_list(), consent, strict=True):
        if not ok:
            continue
        s = verdicts[normalise(text)]
        if s.publishable:
            kept.append(s.text)
        else:
            withheld += 1
            why[s.reasons[0].what] += 1
    listed = tuple(s for s in verdicts.values() if s.verdict is not Verdict.PUBLISH)
    return QuoteScreening(pl.DataFrame({text_column: kept}, schema={text_column: pl.String}), comments.height,
                          comments.height - sum(consent), withheld, dict(sorted(why.items())), listed)


def publishable_quotes(frame: pl.DataFrame, text_column: str, consent_column: str) -> pl.DataFrame:
    """The comments that may be quoted: consented and passing the screen (one column, ``text_column``,
    in input order). :func:`screen_quotes` also gives the number withheld."""
    return screen_quotes(frame, text_column, consent_column).quotes


def never_publishable(text: Any) -> bool:
    """Whether ``text`` holds contact details or an id, which no approval publishes."""
    return any(not r.approvable for r in reasons(normalise(text), TextKind.PROSE))


# ---------------------------------------------------------------------------------------------
# The review file


def review_frame(items: Iterable[Screened]) -> pl.DataFrame:
    """One row per withheld or approved item (by id, first seen kept), sorted by source and id: the
    review file's content."""
    seen: dict[str, Screened] = {}
    for s in items:
        if s.verdict is not Verdict.PUBLISH and s.id not in seen:
            seen[s.id] = s
    rows = [{"id": s.id, "status": s.status, "verdict": str(s.verdict), "source": s.source.describe(),
             "reasons": "; ".join(r.describe() for r in s.reasons), "text": s.text,
             "rows": " ".join(str(r) for r in s.rows)}
            for s in sorted(seen.values(), key=lambda s: (s.source.describe(), s.id))]
    return pl.DataFrame(rows, schema=REVIEW_COLUMNS)


def approval_warnings(approved: Iterable[str], items: Iterable[Screened]) -> list[str]:
    """Config warnings: approved ids that match nothing screened in this run, and approvals that
    cannot publish an item (it holds contact details or an id)."""
    items = list(items)
    ids = {s.id for s in items}
    out = [f"[publication] approved: {i} matches no withheld or reviewed text in this run (it may have been "
           "edited, or come from another evaluation); remove it or use the id in the new review file"
           for i in sorted(set(approved) - ids)]
    out += [f"[publication] approved: {s.id} ({s.source.describe()}) is not published: it holds "
            f"{', '.join(sorted({r.what for r in s.reasons if not r.approvable}))}, which are never published"
            for s in {s.id: s for s in items if s.approved and not s.approvable}.values()]
    return out


__all__ = [
    "ALLOWED_CAPITALISED", "ITEM_ID", "REVIEW_FILE", "WITHHELD", "QuoteScreening", "Reason", "Screen", "Screened",
    "Source", "TextKind", "Verdict", "approval_warnings", "codes", "item_id", "never_publishable", "normalise",
    "publishable_quotes", "quote_problems", "reasons", "review_frame", "screen_quote", "screen_quotes", "verdict",
]
