"""The evaluation config: defaults, a full file, and a clear ConfigError for every kind of mistake."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from ij_eval.config import LOGIC_MODEL_MAX_CHARS, EvaluationConfig, ValueForMoneyConfig, config_from_dict, load_config
from ij_eval.errors import ConfigError, IJEvalError

FULL = """\
[scheme]
name = "Immediate Justice"
force = "Example Constabulary"
start = 2023-10-01
evaluation_team = "University of Somewhere"
synthetic = false

[data]
extract_date = 2025-09-30
period_start = 2023-10-01
period_end = 2025-03-31
date_order = "day-first"

[reoffending]
follow_up_days = 365
waiting_days = 183
comparison = "historical"
covariates = ["age", "sex", "prior_offences", "employment"]

[hotspots]
harmonics = 3
season_period = 12
overdispersion = "negative-binomial"
newey_west_lags = 2

[disclosure]
threshold = 5
reason = "internal review by the evaluation team only"

[run]
seed = 42

[value_for_money]
discount_rate = 0.035
price_year = "2023-24"
"""


def _write(tmp_path, text: str):
    path = tmp_path / "evaluation.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    config = load_config(None)
    assert config == EvaluationConfig()
    assert config.scheme.name == "Immediate Justice" and config.scheme.start is None and not config.scheme.synthetic
    assert config.data.extract_date is None and config.data.date_order == "auto"
    assert config.reoffending.follow_up_days == 365 and config.reoffending.waiting_days == 182
    assert config.reoffending.comparison == "concurrent"
    assert config.reoffending.covariates == ("age", "sex", "prior_offences")
    assert config.hotspots.overdispersion == "quasi-poisson" and config.hotspots.harmonics == 2
    assert config.disclosure.threshold == 10 and config.run.seed == 20231001
    assert config.value_for_money == ValueForMoneyConfig()
    assert config.value_for_money.discount_rate == 0.035 and config.value_for_money.price_year == "2024-25"


def test_empty_file_gives_the_defaults(tmp_path):
    assert load_config(_write(tmp_path, "")) == EvaluationConfig()


def test_full_toml_loads_with_dates(tmp_path):
    path = _write(tmp_path, FULL)
    config = load_config(path)
    assert config.source == str(path)
    assert config.scheme.force == "Example Constabulary" and config.scheme.start == dt.date(2023, 10, 1)
    assert config.scheme.evaluation_team == "University of Somewhere"
    assert config.data.extract_date == dt.date(2025, 9, 30)
    assert (config.data.period_start, config.data.period_end) == (dt.date(2023, 10, 1), dt.date(2025, 3, 31))
    assert config.data.date_order == "day-first"
    assert config.reoffending.comparison == "historical"
    assert config.reoffending.covariates == ("age", "sex", "prior_offences", "employment")
    assert (config.hotspots.harmonics, config.hotspots.overdispersion, config.hotspots.newey_west_lags) == (
        3, "negative-binomial", 2)
    assert config.disclosure.threshold == 5 and config.run.seed == 42
    assert config.disclosure.reason == "internal review by the evaluation team only"
    assert not config.disclosure.for_publication
    assert config.disclosure.notice() == "NOT FOR PUBLICATION — disclosure threshold 5, below 10"
    assert (config.value_for_money.discount_rate, config.value_for_money.price_year) == (0.035, "2023-24")
    plain = config.to_dict()
    assert plain["data"]["extract_date"] == "2025-09-30" and plain["scheme"]["start"] == "2023-10-01"
    assert plain["reoffending"]["covariates"] == ["age", "sex", "prior_offences", "employment"]
    assert plain["value_for_money"]["price_year"] == "2023-24" and plain["value_for_money"]["parameters"] == {}
    assert "source" not in plain


def test_dates_may_be_quoted_iso_text_or_datetimes(tmp_path):
    config = load_config(_write(tmp_path, '[data]\nextract_date = "2025-09-30"\nperiod_start = 2023-10-01T08:00:00\n'))
    assert config.data.extract_date == dt.date(2025, 9, 30)
    assert config.data.period_start == dt.date(2023, 10, 1)


def test_file_with_a_bom_loads(tmp_path):
    path = tmp_path / "evaluation.toml"
    path.write_bytes("\ufeff[run]\nseed = 7\n".encode())
    assert load_config(path).run.seed == 7


def test_config_is_frozen():
    config = EvaluationConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.run.seed = 1  # type: ignore[misc]


# ---- mistakes: each names the file, the section and the key -----------------------------------------

BAD = [
    ("unknown_section", "[reoffendng]\nfollow_up_days = 365\n",
     ["unknown section [reoffendng]", "known sections: scheme, data, reoffending"]),
    ("unknown_key", "[data]\nextract_dat = 2025-09-30\n",
     ["unknown setting 'extract_dat' in [data]", "known: extract_date"]),
    ("unknown_key_in_scheme", "[scheme]\nstart_date = 2023-10-01\n", ["unknown setting 'start_date' in [scheme]"]),
    ("section_not_a_table", "data = 3\n", ["[data] must be a table of settings"]),
    ("text_for_a_whole_number", '[reoffending]\nfollow_up_days = "365"\n',
     ["[reoffending] follow_up_days: expected a whole number, got '365'"]),
    ("float_for_a_whole_number", "[disclosure]\nthreshold = 10.5\n",
     ["[disclosure] threshold: expected a whole number, got 10.5"]),
    ("boolean_for_a_whole_number", "[run]\nseed = true\n", ["[run] seed: expected a whole number, got True"]),
    ("text_for_a_boolean", '[scheme]\nsynthetic = "yes"\n', ["[scheme] synthetic: expected true or false, got 'yes'"]),
    ("number_for_text", "[scheme]\nforce = 43\n", ["[scheme] force: expected text, got 43"]),
    ("text_for_a_list", '[reoffending]\ncovariates = "age"\n',
     ["[reoffending] covariates: expected a list of text values", "got 'age'"]),
    ("numbers_in_a_list", "[reoffending]\ncovariates = [1, 2]\n",
     ["[reoffending] covariates: expected a list of text values"]),
    ("uk_text_for_a_date", '[data]\nextract_date = "30/09/2025"\n',
     ["[data] extract_date: expected a date like 2024-03-31, got '30/09/2025'"]),
    ("number_for_a_date", "[scheme]\nstart = 20231001\n", ["[scheme] start: expected a date like 2024-03-31"]),
    ("bad_literal_date_order", '[data]\ndate_order = "month-first"\n',
     ["[data] date_order: must be one of 'auto', 'day-first', got 'month-first'"]),
    ("bad_literal_comparison", '[reoffending]\ncomparison = "historic"\n',
     ["[reoffending] comparison: must be one of 'concurrent', 'historical', got 'historic'"]),
    ("bad_literal_overdispersion", '[hotspots]\noverdispersion = "poisson"\n',
     ["[hotspots] overdispersion: must be one of 'quasi-poisson', 'negative-binomial'"]),
    ("period_end_before_start", "[data]\nperiod_start = 2024-01-01\nperiod_end = 2023-12-31\n",
     ["[data] period_end is before period_start"]),
    ("threshold_zero", "[disclosure]\nthreshold = 0\n",
     ["[disclosure] threshold must be a whole number from 1 to 1000, got 0"]),
    ("follow_up_zero", "[reoffending]\nfollow_up_days = 0\n",
     ["[reoffending] follow_up_days must be a whole number from 1 to 3650, got 0"]),
    ("negative_harmonics", "[hotspots]\nharmonics = -1\n",
     ["[hotspots] harmonics must be a whole number from 0 to 26, got -1"]),
    ("not_toml", "[data\nextract_date = 2025-09-30\n", ["not valid TOML"]),
    # [logic_model]: every column a non-empty list of short texts
    ("empty_column", "[logic_model]\nactivities = []\n",
     ["[logic_model] activities is empty", "at least one entry"]),
    ("unknown_key", '[logic_model]\nimpacts = ["Safer streets"]\n',
     ["unknown setting 'impacts' in [logic_model]", "known: inputs, activities, outputs, outcomes"]),
    ("too_long", f'[logic_model]\noutcomes = ["{"x" * (LOGIC_MODEL_MAX_CHARS + 1)}"]\n',
     ["[logic_model] outcomes: entry", f"is {LOGIC_MODEL_MAX_CHARS + 1} characters",
      f"{LOGIC_MODEL_MAX_CHARS} or fewer"]),
    ("text_not_a_list", '[logic_model]\ninputs = "Home Office funding"\n',
     ["[logic_model] inputs: expected a list of text values", "got 'Home Office funding'"]),
    ("numbers_in_list", "[logic_model]\noutputs = [1, 2]\n", ["[logic_model] outputs: expected a list of text values"]),
    ("blank_entry", '[logic_model]\ninputs = ["Funding", "  "]\n', ["[logic_model] inputs has a blank entry"]),
    ("not_a_table", 'logic_model = ["Funding"]\n', ["[logic_model] must be a table of settings"]),
]


@pytest.mark.parametrize(("text", "fragments"), [pytest.param(t, f, id=i) for i, t, f in BAD])
def test_mistake_gives_config_error_naming_section_and_key(tmp_path, text, fragments):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(info.value, IJEvalError) and info.value.exit_code == 2


def test_config_from_dict_names_its_source():
    with pytest.raises(ConfigError, match=r"^my-settings: unknown setting 'seeds' in \[run\]"):
        config_from_dict({"run": {"seeds": 1}}, source="my-settings")


def test_missing_file(tmp_path):
    path = tmp_path / "nope" / "evaluation.toml"
    with pytest.raises(ConfigError, match="config file not found: .*evaluation.toml"):
        load_config(path)


def test_a_folder_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match=f"config file {re.escape(str(tmp_path))} is a folder, not a file"):
        load_config(tmp_path)


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "evaluation.toml"
    path.write_bytes(b'[run]\nseed = 1\n[scheme]\nforce = "Caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"evaluation.toml: not UTF-8 text \(byte 0xe9 on line 4\); save the config "
                                          "as UTF-8"):
        load_config(path)


def test_a_huge_file_is_not_read_whole(tmp_path):
    path = tmp_path / "evaluation.toml"
    path.write_bytes(b"# padding\n" * 200_000)
    with pytest.raises(ConfigError, match="is larger than 1024 KiB"):
        load_config(path)


def test_an_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path, "[run]\nseed = 1\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "open", refuse)
    with pytest.raises(ConfigError, match=r"evaluation.toml cannot be read: Permission denied"):
        load_config(path)


def test_a_device_is_not_a_config_file():
    with pytest.raises(ConfigError, match="config file not a regular file: /dev/null"):
        load_config("/dev/null")


VFM = """
[value_for_money]
price_year = "2024-25"
benefits = ["reoffending", "reparative_work"]

[value_for_money.parameters]
optimism_bias = { value = 0.1, low = 0, high = 0.41, source = "HMT optimism bias guidance" }
case_file_hours = 2

[value_for_money.unit_costs]
asb = { value = 500, low = 35, high = 500, price_year = "2002-03", source = "GMCA CR1.0" }

[value_for_money.deflator]
"2025-26" = 103.2
"""


def test_value_for_money_section_reads_parameters_unit_costs_and_deflator(tmp_path):
    v = load_config(_write(tmp_path, VFM)).value_for_money
    assert v.benefits == ("reoffending", "reparative_work")
    assert v.parameter("optimism_bias").high == 0.41 and v.parameter("case_file_hours").value == 2.0
    assert v.parameter("case_file_hours").low is None and v.parameter("deadweight") is None
    assert v.unit_cost("asb").price_year == "2002-03" and v.unit_cost("asb").source == "GMCA CR1.0"
    assert v.deflator == (("2025-26", 103.2),)


@pytest.mark.parametrize(("text", "message"), [
    ('price_year = 2024', "expected text"),
    ('price_year = "2024"', "financial year"),
    ('discount_rate = 1.5', "discount_rate"),
    ('benefits = ["reoffending", "happiness"]', "unknown benefit happiness"),
    ('effect_years = 0', "effect_years"),
    ('out_of_court_routes = ["magic"]', "unknown route magic"),
    ('[value_for_money.parameters]\nfeel_good = 3', "unknown parameter feel_good"),
    ('[value_for_money.parameters]\noptimism_bias = { value = 0.5, high = 0.4 }',
     "low (0.5) <= value (0.5) <= high (0.4)"),
    ('[value_for_money.parameters]\ndeadweight = 1.5', "a share must be between 0 and 1"),
    ('[value_for_money.parameters]\nasb_cost_per_incident = { value = 5, colour = "red" }', "unknown key colour"),
    ('[value_for_money.parameters]\nasb_cost_per_incident = { low = 5 }', "needs a value"),
    ('[value_for_money.parameters]\nasb_cost_per_incident = { value = 5, price_year = "2002" }', "financial year"),
    ('[value_for_money.unit_costs]\ntax_evasion = 5', "unknown offence type tax_evasion"),
    ('[value_for_money.deflator]\n"2025" = 103', "expected a financial year"),
    ('[value_for_money.deflator]\n"2025-26" = -1', "positive index"),
])
def test_bad_value_for_money_settings_are_refused(tmp_path, text, message):
    body = text if text.startswith("[") else f"[value_for_money]\n{text}"
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(_write(tmp_path, body))


# ---- every numeric setting has a range, and a value outside it is refused with the range ----------------

RANGES = [  # section, key, too low, too high, the message's range
    ("reoffending", "follow_up_days", "0", "3651", "a whole number from 1 to 3650"),
    ("reoffending", "waiting_days", "-1", "3651", "a whole number from 0 to 3650"),
    ("reoffending", "caliper_sd", "0", "10.5", "a number above 0 and at most 10"),
    ("reoffending", "min_group_size", "1", "100001", "a whole number from 2 to 100000"),
    ("hotspots", "harmonics", "-1", "27", "a whole number from 0 to 26"),
    ("hotspots", "season_period", "1", "54", "a whole number from 2 to 53"),
    ("hotspots", "newey_west_lags", "-1", "61", "a whole number from 0 to 60"),
    ("hotspots", "event_leads", "-1", "121", "a whole number from 0 to 120"),
    ("hotspots", "event_lags", "-1", "121", "a whole number from 0 to 120"),
    ("hotspots", "placebo_shift", "0", "121", "a whole number from 1 to 120"),
    ("disclosure", "threshold", "0", "1001", "a whole number from 1 to 1000"),
    ("run", "seed", "-1", "4294967296", "a whole number from 0 to 4294967295"),
    ("value_for_money", "discount_rate", "-0.01", "0.51", "a number from 0 to 0.5"),
    ("value_for_money", "appraisal_years", "-1", "101", "a whole number from 0 to 100"),
    ("value_for_money", "effect_years", "0", "31", "a whole number from 1 to 30"),
    ("value_for_money", "monte_carlo_draws", "99", "1000000000000", "a whole number from 100 to 1000000"),
]


def test_every_numeric_setting_has_a_range():
    numeric = set()
    for section in dataclasses.fields(EvaluationConfig):
        if dataclasses.is_dataclass(section.default_factory if section.default_factory is not dataclasses.MISSING
                                    else None):
            body = section.default_factory()
            for f in dataclasses.fields(body):
                if type(getattr(body, f.name)) in (int, float):
                    numeric.add((section.name, f.name))
                    assert "bounds" in f.metadata or f.name == "header_row", f"[{section.name}] {f.name} has no range"
    # header_row (a worksheet row, or one per table) is checked by its own reader: from 1 to Excel's last row
    assert numeric - {("data", "header_row")} == {(s, k) for s, k, *_ in RANGES}


@pytest.mark.parametrize(("section", "key", "value", "valid"),
                         [pytest.param(s, k, v, r, id=f"{k}={v}") for s, k, low, high, r in RANGES
                          for v in (low, high)])
def test_a_value_out_of_range_is_refused_with_the_range(tmp_path, section, key, value, valid):
    extra = "harmonics = 0\n" if key == "season_period" else ""  # keep harmonics below half the period
    path = _write(tmp_path, f"[{section}]\n{key} = {value}\n{extra}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: [{section}] {key} must be {valid}, got {value}"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(tmp_path, value):
    path = _write(tmp_path, f"[reoffending]\ncaliper_sd = {value}\n")
    with pytest.raises(ConfigError, match=re.escape(f"[reoffending] caliper_sd: expected a number, got {value}")
                       + r" \(not a finite number\)"):
        load_config(path)


MORE_BAD = [
    ("date_before_range", "[scheme]\nstart = 0001-01-01\n",
     "[scheme] start must be a date from 1990-01-01 to 2099-12-31, got 0001-01-01"),
    ("date_after_range", "[data]\nextract_date = 9999-12-31\n",
     "[data] extract_date must be a date from 1990-01-01 to 2099-12-31, got 9999-12-31"),
    ("base_date_out_of_range", "[value_for_money]\nbase_date = 2150-04-01\n",
     "[value_for_money] base_date must be a date from 1990-01-01 to 2099-12-31, got 2150-04-01"),
    ("period_after_extract", "[data]\nextract_date = 2024-12-31\nperiod_start = 2025-01-01\n",
     "[data] period_start (2025-01-01) is after extract_date (2024-12-31): the analysis period lies wholly after "
     "the data were extracted, so it holds no data; check both dates"),
    ("scheme_after_extract", "[scheme]\nstart = 2025-03-01\n[data]\nextract_date = 2024-12-31\n",
     "[scheme] start (2025-03-01) is after [data] extract_date (2024-12-31): the data were extracted before the "
     "scheme began; check both dates"),
    ("harmonics_half_the_period", "[hotspots]\nharmonics = 6\nseason_period = 12\n",
     "[hotspots] harmonics must be less than half of season_period (12): at most 5, got 6"),
    ("financial_year_not_consecutive", '[value_for_money]\nprice_year = "2024-26"\n',
     "[value_for_money] price_year: '2024-26' is not a financial year from 1990-91 to 2098-99"),
    ("financial_year_out_of_range", '[value_for_money]\nprice_year = "1066-67"\n',
     "[value_for_money] price_year: '1066-67' is not a financial year from 1990-91 to 2098-99"),
    ("parameter_not_finite", "[value_for_money.parameters]\ncase_file_hours = nan\n",
     "[value_for_money.parameters] case_file_hours value: expected a number, got nan (not a finite number)"),
    ("parameter_too_large", "[value_for_money.parameters]\nofficer_cost_per_hour = 1e300\n",
     "[value_for_money].parameters officer_cost_per_hour: 1e+300 is more than the largest value allowed for a value "
     "in £ (1e+09)"),
    ("hours_too_large", "[value_for_money.parameters]\ncase_file_hours = { value = 2, high = 5000 }\n",
     "[value_for_money].parameters case_file_hours: 5000 is more than the largest value allowed for a value in "
     "hours (1000)"),
    ("unit_cost_negative", "[value_for_money.unit_costs]\nasb = -5\n",
     "[value_for_money].unit_costs asb: must not be negative"),
    ("deflator_infinite", '[value_for_money.deflator]\n"2025-26" = inf\n',
     "[value_for_money.deflator] 2025-26: expected a positive index number (at most 10000), got inf"),
    ("share_not_finite", "[population.sex]\nfemale = nan\nmale = 0.5\n",
     "[population] sex.female: expected a share between 0 and 1, got nan (not a finite number)"),
    ("name_with_a_line_break", '[scheme]\nname = "Immediate\\nJustice"\n',
     "[scheme] name: contains the control character U+000A (a line break); write it as plain text on one line"),
    ("name_with_a_nul", '[scheme]\nforce = "Test\\u0000Force"\n',
     "[scheme] force: contains the control character U+0000 (NUL); write it as plain text on one line"),
    ("name_too_long", f'[scheme]\nname = "{"x" * 201}"\n', "[scheme] name: 201 characters; at most 200 are allowed"),
    ("blank_name", '[scheme]\nname = "  "\n', "[scheme] name is blank; give the scheme's name"),
    ("source_too_long", f'[value_for_money.parameters]\ncase_file_hours = {{ value = 2, source = "{"s" * 501}" }}\n',
     "[value_for_money.parameters] case_file_hours source: 501 characters; at most 500 are allowed"),
    ("list_too_long", "[reoffending]\ncovariates = [" + ", ".join(['"age"'] * 51) + "]\n",
     "[reoffending] covariates: 51 entries; at most 50 are allowed"),
    ("header_row_zero", "[data]\nheader_row = 0\n", "[data] header_row: expected a worksheet row number from 1 to "
     "1,048,576, got 0"),
    ("logic_model_too_many_boxes", "[logic_model]\ninputs = [" + ", ".join(f'"box {i}"' for i in range(13)) + "]\n",
     "[logic_model] inputs has 13 entries; at most 12 fit in a column of the figure"),
    ("a_table_for_a_list", "[reoffending]\ncovariates = { age = 1 }\n",
     "[reoffending] covariates: expected a list of text values like [\"first\", \"second\"], got {'age': 1}"),
    ("a_list_for_a_table", '[value_for_money]\nparameters = ["deadweight"]\n',
     "[value_for_money.parameters] must be a table of name = value"),
    ("a_list_for_a_share_table", "[population]\nsex = [0.5, 0.5]\n",
     "[population] sex: expected a table of category = share"),
    ("array_of_tables_for_a_section", "[[run]]\nseed = 1\n", "[run] must be a table of settings"),
    ("a_table_for_a_number", "[run]\nseed = { value = 1 }\n", "[run] seed: expected a whole number, got {'value': 1}"),
    ("a_list_for_text", '[scheme]\nname = ["a", "b"]\n', "[scheme] name: expected text, got ['a', 'b']"),
    ("threshold_below_10_without_reason", "[disclosure]\nthreshold = 5\n",
     "[disclosure] threshold = 5 is below 10; a threshold below 10 needs its reason in the config, e.g. "
     "[disclosure] reason = \"internal review by the evaluation team only\", and every output is then marked not "
     "for publication"),
    ("threshold_1_without_reason", "[disclosure]\nthreshold = 1\n",
     "[disclosure] threshold = 1 is below 10 (1 switches suppression off); a threshold below 10 needs its reason"),
    ("threshold_with_a_blank_reason", '[disclosure]\nthreshold = 9\nreason = "   "\n',
     "[disclosure] threshold = 9 is below 10; a threshold below 10 needs its reason"),
]


@pytest.mark.parametrize(("text", "fragment"), [pytest.param(t, f, id=i) for i, t, f in MORE_BAD])
def test_more_mistakes_are_refused_with_the_setting_named(tmp_path, text, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}: {fragment}" in str(info.value)


def test_a_threshold_below_10_with_a_reason_is_accepted_and_marked(tmp_path):
    d = load_config(_write(tmp_path, '[disclosure]\nthreshold = 1\nreason = "checking the method"\n')).disclosure
    assert (d.threshold, d.reason, d.for_publication) == (1, "checking the method", False)
    assert d.notice() == "NOT FOR PUBLICATION — disclosure threshold 1, below 10: small counts are not suppressed"
    assert load_config(None).disclosure.notice() == "" and load_config(None).disclosure.for_publication


def test_the_largest_values_in_range_are_accepted(tmp_path):
    config = load_config(_write(tmp_path, "[run]\nseed = 4294967295\n[value_for_money]\nmonte_carlo_draws = 1000000\n"
                                          "[hotspots]\nharmonics = 26\nseason_period = 53\n"))
    assert (config.run.seed, config.value_for_money.monte_carlo_draws, config.hotspots.harmonics) == (
        2**32 - 1, 1_000_000, 26)
