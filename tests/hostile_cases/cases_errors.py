"""No traceback, ever: settings and data that crashed, internal errors, and the disclosure-threshold rule.

- Config values outside their range, wrong shapes, unreadable files: exit 2, the file and setting
  named, nothing written (a previous store kept).
- Data and config that crashed a strand or the report: the run works and says what it could not
  estimate, or stops with a located message.
- A genuine internal error: exit 3, one line naming the crash log, written outside the workspace.
- A disclosure threshold below 10: refused without a reason; with one, every output says it is
  not for publication.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from hostile_cases.harness import REPORT, RUN, Hostile, Outcome, Workspace
from ij_eval.strands import overview

CRASH_DIR = "crash"  # the harness sets IJ_EVAL_CRASH_DIR to <tmp>/crash, beside the workspace
NOTICE_5 = "NOT FOR PUBLICATION — disclosure threshold 5, below 10"


def _config(text: str):
    def arrange(ws: Workspace) -> None:
        ws.add_config(text)
    return arrange


def _data_section(text: str):
    """Settings for the [data] section (the minimal config already has one)."""
    def arrange(ws: Workspace) -> None:
        ws.set_config(ws.config_text.replace("[data]\n", "[data]\n" + text.strip("\n") + "\n"))
    return arrange


def _bad_setting(id: str, text: str, message: str, *, prior_store: bool = True) -> Hostile:
    return Hostile(id, "errors: config values", _config(text), (RUN,), 2,
                   says=("evaluation.toml: " + message,), prior_store=prior_store)


def _results(ws: Workspace) -> dict:
    return json.loads((ws.out / "results.json").read_text(encoding="utf-8"))


def _notes(ws: Workspace, strand: str) -> list[str]:
    return _results(ws)["strands"][strand]["notes"]


# ---- config values that crashed, and absurd values of every kind of setting ---------------------------------

CONFIG_CASES = [
    _bad_setting("err_seed_negative", "[run]\nseed = -1",
                 "[run] seed must be a whole number from 0 to 4294967295, got -1"),
    _bad_setting("err_seed_beyond_the_generators", "[run]\nseed = 18446744073709551617",
                 "[run] seed must be a whole number from 0 to 4294967295, got 18446744073709551617"),
    _bad_setting("err_monte_carlo_draws_trillion", "[value_for_money]\nmonte_carlo_draws = 1000000000000",
                 "[value_for_money] monte_carlo_draws must be a whole number from 100 to 1000000, got 1000000000000"),
    _bad_setting("err_follow_up_days_absurd", "[reoffending]\nfollow_up_days = 1000000000",
                 "[reoffending] follow_up_days must be a whole number from 1 to 3650, got 1000000000"),
    _bad_setting("err_event_leads_absurd", "[hotspots]\nevent_leads = 100000",
                 "[hotspots] event_leads must be a whole number from 0 to 120, got 100000"),
    _bad_setting("err_harmonics_half_the_season", "[hotspots]\nharmonics = 6",
                 "[hotspots] harmonics must be less than half of season_period (12): at most 5, got 6"),
    _bad_setting("err_caliper_not_a_number", "[reoffending]\ncaliper_sd = nan",
                 "[reoffending] caliper_sd: expected a number, got nan (not a finite number)"),
    _bad_setting("err_min_group_size_one", "[reoffending]\nmin_group_size = 1",
                 "[reoffending] min_group_size must be a whole number from 2 to 100000, got 1"),
    _bad_setting("err_date_out_of_range", "[value_for_money]\nbase_date = 9999-12-31",
                 "[value_for_money] base_date must be a date from 1990-01-01 to 2099-12-31, got 9999-12-31"),
    _bad_setting("err_a_table_where_a_list_goes", "[reoffending]\ncovariates = { age = 1 }",
                 "[reoffending] covariates: expected a list of text values like [\"first\", \"second\"], "
                 "got {'age': 1}"),
    _bad_setting("err_a_list_where_a_table_goes", '[value_for_money]\nparameters = ["deadweight"]',
                 "[value_for_money.parameters] must be a table of name = value"),
    _bad_setting("err_a_line_break_in_the_scheme_name", '[logic_model]\ninputs = ["Funding\\nand more"]',
                 "[logic_model] inputs entry 1: contains the control character U+000A (a line break)"),
    _bad_setting("err_unit_cost_overflows", "[value_for_money.unit_costs]\nasb = 1e308",
                 "[value_for_money].unit_costs asb: 1e+308 is more than the largest value allowed for a value in £"),
    Hostile("err_period_wholly_after_the_extract", "errors: config values",
            _data_section("period_start = 2025-01-01\nperiod_end = 2025-06-30"), (RUN,), 2,
            says=("evaluation.toml: [data] period_start (2025-01-01) is after extract_date (2024-12-31): the "
                  "analysis period lies wholly after the data were extracted",), prior_store=True),
]


# ---- the config file itself ---------------------------------------------------------------------------------

def _not_utf8(ws: Workspace) -> None:
    ws.config.write_bytes(ws.config_text.encode("utf-8") + b'\n[run]\nseed = 3 # caf\xe9\n')


def _huge(ws: Workspace) -> None:
    ws.config.write_bytes(ws.config_text.encode("utf-8") + b"# padding to make the file huge\n" * 70_000)


class _Unreadable(type(pathlib.Path())):  # the config module's Path, refusing to open the config
    def open(self, *args, **kwargs):
        if self.name == "evaluation.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return super().open(*args, **kwargs)


@contextlib.contextmanager
def _unreadable(ws: Workspace) -> Iterator[None]:
    with mock.patch("ij_eval.config.Path", _Unreadable):
        yield


def _nothing(ws: Workspace) -> None:
    pass


FILE_CASES = [
    Hostile("err_config_is_a_folder", "errors: config file", _nothing,
            (("run", "{data}", "--config", "{ws}", "--out", "{out}", "--quiet"),), 2,
            says=("is a folder, not a file; pass the evaluation.toml inside it",), prior_store=True),
    Hostile("err_config_not_utf8", "errors: config file", _not_utf8, (RUN,), 2,
            says=("evaluation.toml: not UTF-8 text (byte 0xe9 on line", "save the config as UTF-8"), prior_store=True),
    Hostile("err_config_huge", "errors: config file", _huge, (RUN,), 2,
            says=("evaluation.toml is larger than 1024 KiB",), prior_store=True),
    Hostile("err_config_unreadable", "errors: config file", _nothing, (RUN,), 2,
            says=("evaluation.toml cannot be read: Permission denied",), prior_store=True, during=_unreadable),
]


# ---- data and config that crashed a strand or the report ---------------------------------------------------

def _check_min_group_2(ws: Workspace, outcome: Outcome) -> None:
    notes = _notes(ws, "reoffending")
    assert "The log-rank test by IJ status not run: need at least two groups to compare; found only comparison" \
        in notes, notes


def _check_min_group_900(ws: Workspace, outcome: Outcome) -> None:
    notes = _notes(ws, "reoffending")
    assert any(n.startswith("Survival and adjusted analyses not run: too few people with follow-up") for n in notes)
    page = (ws.report / "report.html").read_text(encoding="utf-8")
    assert "No estimate of the effect." in page and "the notes at the end of this chapter say why" in page


def _check_report_built(ws: Workspace, outcome: Outcome) -> None:
    for name in ("report.html", "report.pdf", "brief.html", "brief.pdf", "index.html"):
        assert (ws.report / name).is_file(), name
    page = (ws.report / "report.html").read_text(encoding="utf-8")
    assert "the reoffending analysis ran, but these data could not support an estimate of the effect" in page


def _keep_asb_months(*months: str):
    def arrange(ws: Workspace) -> None:
        path = ws.data / "asb_counts.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([lines[0], *(ln for ln in lines[1:] if ln.split(",")[1] in months)]) + "\n",
                        encoding="utf-8")
    return arrange


def _zero_asb(ws: Workspace) -> None:
    path = ws.data / "asb_counts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [",".join([*ln.split(",")[:2], "0", *ln.split(",")[3:]]) for ln in lines[1:]]
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")


def _zero_costs(ws: Workspace) -> None:
    path = ws.data / "costs.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"£12,500.00"', "0").replace("350.75", "0").replace(",4000,", ",0,"),
                    encoding="utf-8")


def _check_hotspots_ran(ws: Workspace, outcome: Outcome) -> None:
    assert _results(ws)["strands"]["hotspots"]["status"] == "ran"
    assert (ws.out / "figures" / "hotspots_displacement.png").is_file()


def _check_vfm_costs_zero(ws: Workspace, outcome: Outcome) -> None:
    vfm = _results(ws)["strands"]["value_for_money"]
    assert vfm["status"] == "ran" and vfm["headlines"]["bcr"]["estimate"] is None


DATA_CASES = [
    Hostile("err_min_group_size_leaves_one_status_group", "errors: data and config", _config(
        "[reoffending]\nmin_group_size = 2"), (RUN,), 0, writes="output", check=_check_min_group_2),
    Hostile("err_min_group_size_above_every_group_then_report", "errors: data and config", _config(
        "[reoffending]\nmin_group_size = 900"), (RUN, REPORT), 0, writes="output", check=_check_min_group_900),
    Hostile("err_report_on_the_tiny_store", "errors: data and config", _nothing, (RUN, REPORT), 0,
            writes="output", check=_check_report_built),
    Hostile("err_analysis_period_leaves_no_referral", "errors: data and config",
            _data_section("period_start = 2024-06-01\nperiod_end = 2024-12-31"), (RUN,), 2,
            says=("evaluation.toml: [data] the analysis period (2024-06-01 to 2024-12-31) leaves no referral: all 5 "
                  "referrals in referrals.csv are dated outside it (from 2024-03-15 to 2024-05-20); widen "
                  "period_start / period_end",), prior_store=True),
    Hostile("err_one_month_of_asb", "errors: data and config", _keep_asb_months("2024-03"), (RUN,), 0,
            writes="output", check=_check_hotspots_ran),
    Hostile("err_all_asb_counts_zero", "errors: data and config", _zero_asb, (RUN,), 0, writes="output",
            check=_check_hotspots_ran),
    Hostile("err_costs_all_zero", "errors: data and config", _zero_costs, (RUN,), 0, writes="output",
            check=_check_vfm_costs_zero),
    Hostile("err_monte_carlo_beyond_memory", "errors: data and config", _config(
        "[value_for_money]\nappraisal_years = 100\nmonte_carlo_draws = 1000000"), (RUN,), 2,
        says=("evaluation.toml: [value_for_money] monte_carlo_draws = 1000000 would need about",
              "for this appraisal (100 years", "draws fit in the 1 GiB the simulation may use: lower "
              "monte_carlo_draws (or appraisal_years)"), prior_store=True),
]


# ---- internal errors: one line, a crash log outside the workspace, exit 3 ----------------------------------

SECRET = "kyle.smith@example.com"


def _raises(exc: BaseException):
    def run(inputs, config):
        raise exc
    return run


def _strand_raises(exc: BaseException):
    """The overview strand raising ``exc`` (a bug, an interrupt) during the judged step."""
    @contextlib.contextmanager
    def during(ws: Workspace) -> Iterator[None]:
        with mock.patch.object(overview, "run", _raises(exc)):
            yield
    return during


def _crash_logs(ws: Workspace, folder: str = CRASH_DIR) -> list[Path]:
    return sorted((ws.root.parent / folder).glob("crash-*.log"))


def _check_crash_log(ws: Workspace, outcome: Outcome) -> None:
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err  # one line
    logs = _crash_logs(ws)
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    text = logs[0].read_text(encoding="utf-8")
    assert "ij-eval: 0.1.0" in text and "command: ij-eval run " in text and "platform: " in text
    assert "RuntimeError: a bug on purpose, for <email>" in text and 'in run' in text
    assert SECRET not in text  # messages are screened for contact details and ids
    assert "P001" not in text  # no locals, no records
    assert logs[0].stat().st_mode & 0o077 == 0  # readable by the user only


@contextlib.contextmanager
def _no_crash_dir(ws: Workspace) -> Iterator[None]:
    blocker = ws.root.parent / "not-a-folder"
    blocker.write_text("a file where the crash folder should be", encoding="utf-8")
    with mock.patch.object(overview, "run", _raises(RuntimeError("a bug on purpose"))), \
            mock.patch("ij_eval.crash.crash_dirs", lambda: [blocker]):
        yield


@contextlib.contextmanager
def _crash_dir_inside_the_store(ws: Workspace) -> Iterator[None]:
    with mock.patch.object(overview, "run", _raises(RuntimeError("a bug on purpose"))), \
            mock.patch.dict(os.environ, {"IJ_EVAL_CRASH_DIR": str(ws.out / "crash")}), \
            mock.patch("platformdirs.user_cache_dir", lambda *a, **k: str(ws.root.parent / "cache")):
        yield


def _check_log_beside_not_inside(ws: Workspace, outcome: Outcome) -> None:
    assert not (ws.out / "crash").exists()
    logs = _crash_logs(ws, "cache")
    assert len(logs) == 1 and str(logs[0]) in outcome.err


CRASH_CASES = [
    Hostile("err_internal_error_writes_a_crash_log", "errors: internal", _nothing, (RUN,), 3,
            says=("ij-eval: internal error (RuntimeError): a bug in ij-eval, not a problem with your data or "
                  "config; details in the crash log", "/crash/crash-"),
            prior_store=True, during=_strand_raises(RuntimeError(f"a bug on purpose, for {SECRET}")),
            check=_check_crash_log),
    Hostile("err_internal_error_crash_log_cannot_be_written", "errors: internal", _nothing, (RUN,), 3,
            says=("ij-eval: internal error (RuntimeError): a bug in ij-eval, not a problem with your data or "
                  "config; no crash log could be written",), prior_store=True, during=_no_crash_dir),
    Hostile("err_crash_log_never_inside_the_store", "errors: internal", _nothing, (RUN,), 3,
            says=("details in the crash log",), prior_store=True, during=_crash_dir_inside_the_store,
            check=_check_log_beside_not_inside),
    Hostile("err_out_of_memory", "errors: internal", _nothing, (RUN,), 2,
            says=("ij-eval: the machine ran out of memory",), prior_store=True, during=_strand_raises(MemoryError())),
    Hostile("err_interrupted", "errors: internal", _nothing, (RUN,), 130, says=("ij-eval: interrupted",),
            prior_store=True, during=_strand_raises(KeyboardInterrupt())),
    Hostile("err_synth_seed_beyond_the_generators", "errors: internal", _nothing,
            (("synth", "--out", "{ws}/synthetic", "--seed", "4294967296"),), 2,
            says=("synthetic data seed must be a whole number from 0 to 4294967295",)),
]


# ---- the disclosure threshold below 10 ---------------------------------------------------------------------

def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _check_not_for_publication(ws: Workspace, outcome: Outcome) -> None:
    results = _results(ws)
    assert results["not_for_publication"] is True and results["not_for_publication_notice"] == NOTICE_5
    assert results["disclosure"]["reason"] == "internal check by the evaluation team"
    for name in ("report.html", "brief.html", "index.html"):
        page = (ws.report / name).read_text(encoding="utf-8")
        assert f'<p class="synthetic-top" role="note">{NOTICE_5}</p>' in page, name  # top of every page
    report = (ws.report / "report.html").read_text(encoding="utf-8")
    assert report.count(NOTICE_5) >= 10  # the title page and every chapter
    for name in ("report.pdf", "brief.pdf"):
        text = _pdf_text(ws.report / name)
        pages = text.split("\f")[:-1]
        assert pages and all(NOTICE_5 in page for page in pages), name  # the header of every page


THRESHOLD_CASES = [
    _bad_setting("err_threshold_below_10_without_a_reason", "[disclosure]\nthreshold = 5",
                 "[disclosure] threshold = 5 is below 10; a threshold below 10 needs its reason in the config, e.g. "
                 "[disclosure] reason = \"internal review by the evaluation team only\", and every output is then "
                 "marked not for publication"),
    _bad_setting("err_threshold_1_switches_suppression_off", "[disclosure]\nthreshold = 1",
                 "[disclosure] threshold = 1 is below 10 (1 switches suppression off); a threshold below 10 needs "
                 "its reason"),
    _bad_setting("err_threshold_with_a_blank_reason", '[disclosure]\nthreshold = 9\nreason = "  "',
                 "[disclosure] threshold = 9 is below 10; a threshold below 10 needs its reason"),
    Hostile("err_threshold_with_a_reason_marks_every_output", "errors: disclosure threshold", _config(
        '[disclosure]\nthreshold = 5\nreason = "internal check by the evaluation team"'), (RUN, REPORT), 0,
        writes="output", check=_check_not_for_publication),
]

CASES = CONFIG_CASES + FILE_CASES + DATA_CASES + CRASH_CASES + THRESHOLD_CASES


# ---- a results store that is not one -----------------------------------------------------------------------

def _results_json(text: str):
    def arrange(ws: Workspace) -> None:
        ws.out.mkdir(parents=True, exist_ok=True)
        (ws.out / "results.json").write_text(text, encoding="utf-8")
    return arrange


CASES += [
    Hostile("err_report_on_a_results_json_that_is_a_list", "errors: data and config", _results_json("[1, 2]"),
            (REPORT,), 2, says=("results.json is not the results of an `ij-eval run` (no table of strands)",)),
    Hostile("err_report_on_a_results_json_without_strands", "errors: data and config",
            _results_json('{"strands": {"overview": 3}}'), (REPORT,), 2,
            says=("results.json is not the results of an `ij-eval run`",)),
]
