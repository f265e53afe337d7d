"""Direct identifiers: columns that must never reach the pipeline or any output."""

from __future__ import annotations

import re

# Normalised column names (see ij_eval.io.tables.normalise_header) that directly identify a person.
_PATTERNS = (
    r"(first_|last_|full_|sur|fore|given_|family_|middle_|maiden_)?names?",
    r"(person|offender|participant|victim|respondent|client)_names?",
    r"(home_|street_|postal_|full_)?address(_line)?_?\d*",
    r"post_?code", r"postal_code", r"zip_?code",
    r"(date_of_birth|dob|birth_date|birthdate|d_o_b)",
    r"(tele)?phone(_number|_no)?", r"mobile(_phone)?(_number|_no)?", r"(home|work|mobile)_phone", r"tel(_no)?",
    r"contact_(number|no|phone|details)",
    r"e_?mail(_address)?",
    r"(national_insurance|ni)_(number|no)", r"pnc_(id|number|no)", r"nhs_(number|no)",
)
_DIRECT = re.compile(r"^(?:" + "|".join(_PATTERNS) + r")$")


def direct_identifier_columns(columns: list[str] | tuple[str, ...]) -> list[str]:
    """The columns whose (normalised) names mark them as direct identifiers."""
    return [c for c in columns if _DIRECT.match(re.sub(r"[^a-z0-9_]", "", c.lower()))]
