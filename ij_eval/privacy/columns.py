"""Which columns of an input table may pass, and which text values in them are refused: one place.

A column passes only if the table's schema defines it or the config declares it as a covariate
(``[reoffending] covariates``, for referrals): an **allowlist**, so a column nobody thought of
("Home Postcode", "Phone 2", "Suspect Name", a free-text note) cannot slip through. Everything
else is *dropped* by ``ij-eval pseudonymise`` and *refused* by ``validate`` and ``run``, both
through :func:`plan_columns`. A header that names a direct identifier (:func:`header_identifier`)
gets the more specific message, and a date-of-birth column is used for ``age`` before it goes.

Values are checked as well as names (:func:`scan_values`): every text column that can reach an
output is scanned with :mod:`ij_eval.privacy.detect` for contact details and official ids, and
person ids that are plainly names are refused. Reference numbers that can be a force's own
(:data:`PSEUDONYMISED`) are replaced by keyed pseudonyms, like person ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import polars as pl

from ij_eval.errors import Problem
from ij_eval.io.parse import Where, located
from ij_eval.privacy import detect
from ij_eval.privacy.detect import Kind
from ij_eval.schema import TableSchema


class IdentifierKind(StrEnum):
    """What a column header says the column holds, in words that finish "the column holds ..."."""

    NAME = "a name"
    ADDRESS = "an address"
    POSTCODE = "a postcode"
    DATE_OF_BIRTH = "a date of birth"
    YEAR_OF_BIRTH = "a year of birth"
    PHONE = "a phone number"
    EMAIL = "an email address"
    OFFICIAL_ID = "an official id (PNC, CRO, NHS, National Insurance, passport or licence number)"
    POLICE_REFERENCE = "a police reference number (crime, incident, custody or occurrence)"
    ONLINE_ID = "an online identifier (username, social media, IP address, photo)"
    VEHICLE = "a vehicle registration"
    PERSON_ID = "a person identifier other than person_id"


def header_tokens(header: str) -> tuple[str, ...]:
    """``"DOB (dd/mm/yyyy)"`` -> ``("dob", "dd", "mm", "yyyy")``; ``"homePostcode"`` -> ``("home", "postcode")``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    return tuple(re.findall(r"[a-z]+|\d+", spaced.lower()))


#: Person identifier spellings ``pseudonymise`` accepts for ``person_id`` (renamed and hashed).
PERSON_ID_ALIASES: tuple[str, ...] = ("person_ref", "nominal_id", "nominal_ref", "nominal_number", "offender_id",
                                      "offender_ref", "person_number")

_NAME_WORDS = frozenset({"name", "names", "forename", "forenames", "surname", "surnames", "firstname", "lastname",
                         "fullname", "middlename", "maidenname", "givenname", "familyname", "nickname", "alias",
                         "aliases", "aka", "nee"})
#: A "name" column is not a person's name after these words (a site name, an area name, ...).
_THING_WORDS = frozenset({"site", "area", "place", "scheme", "project", "organisation", "organization", "org", "team",
                          "location", "file", "activity", "funder", "item", "category", "ward", "lsoa", "msoa", "beat",
                          "force", "partner", "workshop", "venue", "sheet", "column", "field", "variable"})
_ADDRESS_WORDS = frozenset({"address", "addresses", "addr", "street", "streetname", "housenumber", "apartment",
                            "residence", "dwelling", "uprn"})
_PHONE_WORDS = frozenset({"phone", "phones", "telephone", "tel", "mobile", "mob", "cellphone", "landline",
                          "fax", "whatsapp", "phoneno", "phonenumber"})
_OFFICIAL_WORDS = frozenset({"pnc", "cro", "nhs", "nino", "passport", "ssn", "upn", "uln", "ucrn"})
_POLICE_WORDS = frozenset({"crime", "incident", "custody", "occurrence", "occ", "urn", "cad", "storm", "niche",
                           "athena"})
_NUMBER_WORDS = frozenset({"number", "numbers", "no", "num", "nr", "ref", "reference", "id", "ids", "code"})
_ONLINE_WORDS = frozenset({"username", "user", "login", "facebook", "instagram", "snapchat", "twitter", "tiktok",
                           "handle", "ip", "photo", "photograph", "cctv"})
_VEHICLE_WORDS = frozenset({"vrm", "registration", "numberplate", "vehicle", "reg", "plate"})


def _pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def header_identifier(header: str) -> IdentifierKind | None:
    """The kind of direct identifier a header names, or None (it may still be refused as undeclared).

    ``header`` is the header as written or normalised; the check is on its words, so
    ``"DOB (dd/mm/yyyy)"``, ``"Date of Birth"``, ``"birth_date"``, ``"D.O.B."`` and ``"DateOfBirth"``
    are all dates of birth, ``"Home Postcode"`` a postcode and ``"Phone 2"`` a phone number.
    """
    tokens = header_tokens(header)
    if not tokens:
        return None
    joined = "".join(tokens)
    words = set(tokens)
    pairs = _pairs(tokens)
    normalised = "_".join(tokens)
    if normalised in PERSON_ID_ALIASES:
        return IdentifierKind.PERSON_ID
    if "birth" in words and words & {"year", "yr"} or "yob" in words or "birthyear" in words:
        return IdentifierKind.YEAR_OF_BIRTH
    if ("dob" in words or "dateofbirth" in joined or "birthdate" in joined or "birthday" in joined
            or "born" in words or ("d", "o") in pairs and ("o", "b") in pairs
            or "birth" in words and words & {"date", "day", "dt"}):
        return IdentifierKind.DATE_OF_BIRTH
    if "email" in joined or ("e", "mail") in pairs or "mail" in words:
        return IdentifierKind.EMAIL
    if ("postcode" in joined or "postalcode" in joined or "zipcode" in joined or "zip" in words
            or ("post", "code") in pairs):
        return IdentifierKind.POSTCODE
    if words & _ADDRESS_WORDS or "address" in joined:
        return IdentifierKind.ADDRESS
    if words & _PHONE_WORDS or "phone" in joined or "contact" in words and words & (_NUMBER_WORDS | {"details"}):
        return IdentifierKind.PHONE
    if (words & _OFFICIAL_WORDS or "nationalinsurance" in joined
            or "ni" in words and words & _NUMBER_WORDS
            or words & {"licence", "license"} and words & (_NUMBER_WORDS | {"driving"})):
        return IdentifierKind.OFFICIAL_ID
    if words & _POLICE_WORDS and words & _NUMBER_WORDS:
        return IdentifierKind.POLICE_REFERENCE
    if words & _ONLINE_WORDS:
        return IdentifierKind.ONLINE_ID
    if words & _VEHICLE_WORDS and (words & _NUMBER_WORDS or words & {"vrm", "numberplate", "plate"}):
        return IdentifierKind.VEHICLE
    for i, token in enumerate(tokens):
        if token in _NAME_WORDS or (token.endswith("name") and len(token) > 4 and token[:-4] not in _THING_WORDS):
            if token in ("name", "names") and i > 0 and tokens[i - 1] in _THING_WORDS:
                continue
            return IdentifierKind.NAME
    return None


def direct_identifier_columns(columns: Sequence[str]) -> list[str]:
    """The columns whose names mark them as direct identifiers (or person ids other than ``person_id``)."""
    return [c for c in columns if header_identifier(c) is not None]


def shown_header(header: str) -> str:
    """A header fit to print: masked when it looks like data (a file whose header row is a record)."""
    finding = detect.first_identifier(header, detect.CONTACT_AND_IDS)
    return f"{detect.masked(header)} ({finding.kind})" if finding else header


# --- the allowlist -------------------------------------------------------------------------------

class Verdict(StrEnum):
    SCHEMA = "defined by the schema"
    COVARIATE = "declared as a covariate"
    IDENTIFIER = "a direct identifier"
    UNDECLARED = "not in the schema and not declared"


@dataclass(frozen=True)
class ColumnDecision:
    """What happens to one column of an input table."""

    column: str  # normalised name
    header: str  # as written in the file
    verdict: Verdict
    kind: IdentifierKind | None = None  # for a direct identifier
    declared: bool = False  # named in [reoffending] covariates (an identifier stays refused)

    @property
    def kept(self) -> bool:
        return self.verdict in (Verdict.SCHEMA, Verdict.COVARIATE)

    @property
    def shown(self) -> str:
        """The header as written, masked if it looks like data."""
        return shown_header(self.header)

    @property
    def label(self) -> str:
        """The normalised name for messages, or the masked header if the header looks like data."""
        shown = self.shown
        return self.column if shown == self.header else shown

    @property
    def reason(self) -> str:
        """Why a column is dropped, in words (never a value)."""
        if self.verdict is Verdict.IDENTIFIER:
            declared = "; declared as a covariate, but a direct identifier is never kept" if self.declared else ""
            return f"a direct identifier: {self.kind}{declared}"
        return str(self.verdict)


@dataclass(frozen=True)
class ColumnPlan:
    """Every column of one table, decided; and the declared covariates the table lacks."""

    table: str
    decisions: tuple[ColumnDecision, ...]
    absent_covariates: tuple[str, ...] = ()

    def _with(self, verdict: Verdict) -> tuple[ColumnDecision, ...]:
        return tuple(d for d in self.decisions if d.verdict is verdict)

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(d.column for d in self.decisions if d.kept)

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(d.column for d in self._with(Verdict.COVARIATE))

    @property
    def identifiers(self) -> tuple[ColumnDecision, ...]:
        return self._with(Verdict.IDENTIFIER)

    @property
    def undeclared(self) -> tuple[ColumnDecision, ...]:
        return self._with(Verdict.UNDECLARED)

    @property
    def dropped(self) -> tuple[ColumnDecision, ...]:
        return tuple(d for d in self.decisions if not d.kept)


def declared_covariates(schema: TableSchema, covariates: Sequence[str]) -> tuple[str, ...]:
    """The config's covariates that apply to ``schema`` (only a table with ``extra_columns: covariates``)."""
    return tuple(covariates) if schema.extra_columns == "covariates" else ()


def plan_columns(columns: Sequence[str], schema: TableSchema, covariates: Sequence[str] = (),
                 headers: Mapping[str, str] | None = None) -> ColumnPlan:
    """Decide every column: the schema's and the declared covariates pass, nothing else does.

    ``columns`` are normalised names, ``headers`` maps them to the headers as written (for
    messages). A schema column passes even if its name sounds like an identifier (``areas.name``
    names a place); a declared covariate does not if its header names a direct identifier.
    """
    headers = headers or {}
    declared = declared_covariates(schema, covariates)
    decisions = []
    for c in columns:
        header = headers.get(c, c)
        kind = None if c in schema.column_names else header_identifier(header) or header_identifier(c)
        if c in schema.column_names:
            verdict = Verdict.SCHEMA
        elif kind is not None:
            verdict = Verdict.IDENTIFIER
        elif c in declared:
            verdict = Verdict.COVARIATE
        else:
            verdict = Verdict.UNDECLARED
        decisions.append(ColumnDecision(c, header, verdict, kind, c in declared))
    absent = tuple(c for c in declared if c not in columns and c not in schema.column_names)
    return ColumnPlan(schema.name, tuple(decisions), absent)


def undeclared_hint(schema: TableSchema, columns: Sequence[str], covariates: Sequence[str]) -> str:
    """How to make an undeclared column acceptable, or drop it."""
    drop = "`ij-eval pseudonymise IN_DIR OUT_DIR` drops every column the schema does not define"
    if schema.extra_columns == "covariates":
        names = ", ".join(f'"{c}"' for c in (*covariates, *columns) if '"' not in c and "\\" not in c)
        return (f"to use a column as a covariate of the matched comparison, declare it in evaluation.toml: "
                f"[reoffending] covariates = [{names}]; otherwise remove it ({drop})")
    return (f"remove the column: only the columns of data_schemas/{schema.source or schema.name + '.yaml'} are "
            f"accepted ({drop})")


# --- reference numbers hashed like person ids ------------------------------------------------------

class IdKind(StrEnum):
    """An id ``pseudonymise`` replaces, by its pseudonym's prefix (one per kind, never equal across kinds)."""

    PERSON = "p"
    REFERRAL = "r"
    RESPONSE = "s"
    OFFENCE = "o"
    INCIDENT = "i"


#: Columns replaced by keyed pseudonyms, in every table that has them, so references between
#: tables still hold (``participant_survey.referral_id`` -> ``referrals.referral_id``). Referral,
#: response, offence and incident ids are often a force's own reference numbers, which lead back
#: to its records. Not hashed: ``placement_id`` (a work site, not a person; its text is scanned),
#: ``area_id`` / ``hotspot_id`` / ``parent_hotspot`` (areas the evaluation defines) and the public
#: ONS area codes (``area_code``, ``lsoa_code``), which place records in areas.
PSEUDONYMISED: Mapping[str, IdKind] = {
    "person_id": IdKind.PERSON, "referral_id": IdKind.REFERRAL, "response_id": IdKind.RESPONSE,
    "offence_id": IdKind.OFFENCE, "incident_id": IdKind.INCIDENT,
}


# --- values ------------------------------------------------------------------------------------------

class TextRole(StrEnum):
    """How a text column is checked: what an identifier in it means."""

    PERSON_ID = "person id"  # must be a pseudonym: no contact detail, official id or name
    ID = "id"  # another id or code
    STRUCTURED = "structured text"  # a short label that can be published (a site, a funder, an area)
    FREE_TEXT = "free text"  # a survey comment: quoted only with consent, after the screen


def text_columns(schema: TableSchema, covariates: Sequence[str] = ()) -> dict[str, TextRole]:
    """The text columns of ``schema`` that can reach an output, and how each is checked.

    Every ``string`` column without a ``pattern`` (categories, ordinals, lists and patterned
    codes such as ``area_code`` accept only their own values or format), plus the given text
    covariates.
    """
    roles: dict[str, TextRole] = {}
    for col in schema.columns:
        if col.type != "string" or col.pattern:
            continue
        if col.name == "person_id":
            roles[col.name] = TextRole.PERSON_ID
        elif col.free_text:
            roles[col.name] = TextRole.FREE_TEXT
        elif col.name.endswith("_id") or col.references:
            roles[col.name] = TextRole.ID
        else:
            roles[col.name] = TextRole.STRUCTURED
    for c in covariates:
        roles.setdefault(c, TextRole.STRUCTURED)
    return roles


#: What a person id must not look like: a name ("John Smith", "SMITH, John", "Mary-Jane O'Neil"):
#: two to five words of letters and no digit. Force ids carry digits; names carry no digit.
NAME_LIKE = r"^\p{L}[\p{L}'’.-]*,?(?:\s+\p{L}[\p{L}'’.-]*){1,4}$"
LOOKS_LIKE_A_NAME = "a person's name"


@dataclass(frozen=True)
class ValueFinding:
    """Rows of one column whose values look like one kind of identifier (never the values)."""

    column: str
    role: TextRole
    kind: str  # a detect.Kind's words, or LOOKS_LIKE_A_NAME
    mask: pl.Series  # rows of the frame that hold it

    @property
    def n_rows(self) -> int:
        return int(self.mask.sum())


def _kinds_by_value(values: list[str]) -> dict[str, list[detect.Finding]]:
    found = {}
    for v in values:
        findings = detect.find_identifiers(v, detect.CONTACT_AND_IDS)
        if findings:
            found[v] = findings
    return found


def scan_values(frame: pl.DataFrame, roles: Mapping[str, TextRole]) -> list[ValueFinding]:
    """Every column of ``roles`` in ``frame`` (text as written), scanned; one finding per column and kind.

    Only values :func:`~ij_eval.privacy.detect.could_hold_identifier` passes reach the Python
    detectors, each distinct value once.
    """
    out: list[ValueFinding] = []
    for column, role in roles.items():
        if column not in frame.columns:
            continue
        s = frame[column].cast(pl.String)
        candidates = s.filter(detect.could_hold_identifier(s).fill_null(False)).unique().to_list()
        by_value = _kinds_by_value(candidates)
        kinds: dict[str, list[str]] = {}
        for value, findings in by_value.items():
            for kind in dict.fromkeys(str(f.kind) for f in findings):
                kinds.setdefault(kind, []).append(value)
        for kind, values in kinds.items():
            out.append(ValueFinding(column, role, kind, s.is_in(values).fill_null(False)))
        if role is TextRole.PERSON_ID:
            names = s.str.strip_chars().str.contains(NAME_LIKE).fill_null(False)
            if names.any():
                out.append(ValueFinding(column, role, LOOKS_LIKE_A_NAME, names))
    return out


_PSEUDONYMISE = "run `ij-eval pseudonymise IN_DIR OUT_DIR` on the raw extract and use its output folder"


def value_problem(finding: ValueFinding, frame: pl.DataFrame, where: Where, *,
                  stage: Literal["validate", "pseudonymise"] = "validate") -> Problem | None:
    """The problem a finding is: file, column, rows and the kind, never the values.

    An identifier in a structured column (a site, a funder, an area name, a declared covariate's
    levels, an id) is an **error**: those values are published as they are, and a contact
    detail there means the wrong thing was exported. In a free-text survey comment it is a
    **warning**: a comment is quoted only with consent and after the screen, which withholds any
    comment that identifies someone, so nothing identifying is published; refusing the whole
    folder for one comment would push an analyst to drop the comments (the evidence) rather than
    the contact detail, and ``pseudonymise`` removes them anyway. The warning names the rows so
    they can be cleaned at source.
    """
    kind, column = finding.kind, finding.column
    level = "warning" if finding.role is TextRole.FREE_TEXT else "error"
    if finding.role is TextRole.PERSON_ID and kind == LOOKS_LIKE_A_NAME:
        rule = f"person ids look like {kind}"
        hint = ("a name is not an identifier (two people share one, and one person's is written several ways): "
                "export the force's nominal or PNC id as person_id"
                + (", then run `ij-eval pseudonymise`" if stage == "validate" else ""))
    elif column in PSEUDONYMISED and finding.role in (TextRole.PERSON_ID, TextRole.ID):
        rule = (f"values look like {kind}: {column} must be the keyed pseudonym `ij-eval pseudonymise` writes, "
                "not a contact detail or an official id")
        hint = _PSEUDONYMISE
    elif finding.role is TextRole.ID:
        rule = f"values look like {kind}: an id or code column must not hold contact details or official ids"
        hint = "replace them with the scheme's own codes (a site or area code)"
    elif finding.role is TextRole.FREE_TEXT:
        rule = (f"comments hold {kind}: such a comment is never quoted (the screen withholds any comment that "
                "identifies someone), but contact details and ids should not be in the data at all")
        hint = ("remove them from these comments, or " + _PSEUDONYMISE.removesuffix(" and use its output folder")
                + ": it removes contact details and ids from comments")
    else:
        rule = (f"values look like {kind}: this text can be published, so it must not hold contact details or "
                "official ids")
        hint = ("remove the contact detail or id from these cells (name a site, funder or area by what it is, "
                "not by who is there)")
    return located(frame, finding.mask, None, where, column, rule, level=level, hint=hint)


_REMOVED = {Kind.EMAIL: "email address", Kind.SPELLED_EMAIL: "email address", Kind.PHONE: "phone number",
            Kind.SPELLED_PHONE: "phone number", Kind.POSTCODE: "postcode", Kind.NI_NUMBER: "National Insurance number",
            Kind.PNC_ID: "PNC id", Kind.CRO_NUMBER: "CRO number", Kind.DATE_OF_BIRTH: "date of birth"}


def redact(text: str) -> tuple[str, tuple[Kind, ...]]:
    """``text`` with every contact detail and official id replaced by ``[... removed]``; the kinds removed."""
    findings = detect.find_identifiers(text, detect.CONTACT_AND_IDS)
    if not findings:
        return text, ()
    spans: list[tuple[int, int, Kind]] = []
    for f in findings:  # merge overlapping findings into one span (the first kind names it)
        if spans and f.start < spans[-1][1]:
            start, end, kind = spans[-1]
            spans[-1] = (start, max(end, f.end), kind)
        else:
            spans.append((f.start, f.end, f.kind))
    parts, last = [], 0
    for start, end, kind in spans:
        parts += [text[last:start], f"[{_REMOVED[kind]} removed]"]
        last = end
    parts.append(text[last:])
    return "".join(parts), tuple(dict.fromkeys(k for _, _, k in spans))


def redact_column(s: pl.Series) -> tuple[pl.Series, pl.Series, tuple[Kind, ...]]:
    """``s`` with :func:`redact` applied to the values that need it; the rows changed; the kinds removed."""
    text = s.cast(pl.String)
    candidates = text.filter(detect.could_hold_identifier(text).fill_null(False)).unique().to_list()
    changed: dict[str, str] = {}
    kinds: dict[Kind, None] = {}
    for v in candidates:
        new, removed = redact(v)
        if removed:
            changed[v] = new
            kinds.update(dict.fromkeys(removed))
    if not changed:
        return text, pl.Series([False] * len(text)), ()
    mask = text.is_in(list(changed)).fill_null(False)
    return (text.replace(list(changed), list(changed.values())), mask, tuple(kinds))
