"""The Implementation chapter and its finding: was the scheme delivered as designed?"""

from __future__ import annotations

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import (
    COUNT,
    NUMBER1,
    P_VALUE,
    PERCENT,
    TEXT,
    frame_table,
    not_run,
    notes_list,
    opening,
    upper_first,
)
from ij_eval.report.escape import md_text
from ij_eval.report.findings import Finding
from ij_eval.report.markdown import fig_ref, figure, join, tbl_ref
from ij_eval.report.store import ResultsStore

STRAND = "implementation"
QUESTION = "Was it delivered as designed (contact and start within 48 hours, completion, hours)?"
STAGES = {"referred": "Referred", "contacted": "Contacted", "work_booked": "Work booked", "started": "Work started",
          "completed": "Completed", "did_not_complete": "Did not complete", "refused": "Refused",
          "not_suitable": "Not suitable", "in_progress": "In progress"}
CHARACTERISTICS = {"sex": "Sex", "age_group": "Age group", "ethnicity": "Ethnicity", "disability": "Disability"}


def _share_words(h: dict | None, what: str) -> str:
    """'85% of people were contacted within 48 hours (between 83% and 87%)' or why it is not shown."""
    if h is None or h.get("estimate") is None:
        return f"the share {what} is not shown (too few people to publish)"
    return (f"{fmt.percent(h['estimate'])} {what} (95% interval between {fmt.percent(h['ci_lower'])} and "
            f"{fmt.percent(h['ci_upper'])}, of {fmt.count(h['n'])} people)")


def _hours(h: dict | None) -> str:
    if h is None or h.get("estimate") is None:
        return "not shown"
    if h.get("ci_lower") is None or h.get("ci_upper") is None:
        return f"{fmt.number(h['estimate'])} hours"
    return (f"{fmt.number(h['estimate'])} hours (between {fmt.number(h['ci_lower'])} and "
            f"{fmt.number(h['ci_upper'])})")



COMPLETED_WORDS = "of referrals old enough to have a final outcome completed"


def finding(store: ResultsStore) -> Finding:
    """The answer to 'Was it delivered as designed?' from the implementation headlines."""
    if not store.ran(STRAND):
        reason = md_text(store.not_run_reason(STRAND))
        return Finding(STRAND, QUESTION, False,
                       f"Not answered by this run: the implementation analysis did not run ({reason}).",
                       "No evidence from this evaluation.", "Supply the referrals table and re-run the evaluation.")

    def h(key: str) -> dict | None:
        return store.headline(STRAND, key)

    referrals, hours, started = h("referrals"), h("hours_completed"), h("people_started")
    answer = (
        f"Of {fmt.count((referrals or {}).get('estimate'))} referrals, "
        f"{_share_words(h('contact_within_48h'), 'were contacted within 48 hours of the police decision')} and "
        f"{_share_words(h('start_within_48h'), 'of those who could start began work within 48 hours')}; "
        f"the median wait to start was {_hours(h('median_hours_to_start'))}. "
        f"{upper_first(_share_words(h('completed_share'), COMPLETED_WORDS))}. "
        f"{fmt.count((started or {}).get('estimate'))} people started reparative work and completed "
        f"{fmt.number((hours or {}).get('estimate'))} hours across "
        f"{fmt.count((h('placements') or {}).get('estimate'))} placements."
    )
    evidence = ("Descriptive monitoring data from the scheme's own records: it shows what was delivered and how "
                "quickly, not what it caused. Waits are measured from the date of the police decision, which has no "
                "time of day, so contact within 48 hours can only be understated.")
    short = (f"{upper_first(_share_words(h('contact_within_48h'), 'were contacted within 48 hours'))}; "
             f"{_share_words(h('start_within_48h'), 'of those who could start began work within 48 hours')}; "
             f"{_share_words(h('completed_share'), 'of those with a final outcome completed')}.")
    return Finding(STRAND, QUESTION, True, answer, evidence,
                   "Record the time of the police decision and of the work start, so waits can be measured in hours; "
                   "follow up the routes and groups with slower starts or lower completion.",
                   None, "descriptive monitoring of the referral funnel, waits, dosage and equality", short=short)


def _funnel_table(store: ResultsStore) -> str:
    frame = store.table("implementation_funnel").filter(pl.col("breakdown") == "all").with_columns(
        pl.col("stage").replace(STAGES))
    return frame_table(frame, {"stage": ("Stage", TEXT), "n": ("People", COUNT),
                               "share": ("Share of referred", PERCENT), "ci_lower": ("95% CI from", PERCENT),
                               "ci_upper": ("to", PERCENT)},
                       label="implementation-funnel", caption="The referral funnel and status at the extract date",
                       counts=["n"])


def _timeliness_table(store: ResultsStore) -> str:
    frame = store.table("implementation_timeliness").with_columns(
        pl.col("measure").replace({"contact": "First contact", "start": "Work start"}),
        pl.concat_str(pl.col("breakdown").replace({"all": "", "route": "", "age_group": ""}),
                      pl.col("group").str.replace_all("_", " ")).alias("group"))
    return frame_table(frame, {"measure": ("Measure", TEXT), "group": ("Group", TEXT), "n": ("People", COUNT),
                               "within_48h": ("Within 48 h", COUNT), "share": ("Share", PERCENT),
                               "ci_lower": ("95% CI from", PERCENT), "ci_upper": ("to", PERCENT),
                               "median_hours": ("Median hours", NUMBER1)},
                       label="implementation-timeliness", caption="Contact and start within 48 hours of the police "
                       "decision, by route and age group", counts=["n", "within_48h"])


def _dosage_table(store: ResultsStore) -> str:
    frame = store.table("implementation_dosage").with_columns(pl.col("group").str.replace_all("_", " "))
    return frame_table(frame, {"group": ("Group", TEXT), "n": ("People started", COUNT),
                               "hours_completed": ("Hours completed", COUNT),
                               "pct_hours_completed": ("Share of hours required", PERCENT),
                               "mean_hours_completed": ("Mean hours per person", NUMBER1),
                               "workshop": ("Attended workshop", COUNT), "restorative": ("Restorative process", COUNT)},
                       label="implementation-dosage", caption="Hours of reparative work, workshops and restorative "
                       "processes among people whose work started", counts=["n", "workshop", "restorative"])


def _equality_table(store: ResultsStore) -> str:
    frame = store.table("implementation_equality").with_columns(
        pl.col("characteristic").replace(CHARACTERISTICS), pl.col("flag").fill_null(""))
    return frame_table(frame, {"characteristic": ("Characteristic", TEXT), "group": ("Group", TEXT),
                               "comparison_share": ("Comparison cohort", PERCENT),
                               "referred_share": ("IJ referrals", PERCENT),
                               "representation_p_holm": ("p (Holm)", P_VALUE),
                               "completion_rate": ("Completed", PERCENT), "refusal_rate": ("Refused", PERCENT),
                               "flag": ("Flag", TEXT)},
                       label="implementation-equality", caption="Referral, completion and refusal by protected "
                       "characteristic, against the comparison cohort",
                       counts=["comparison_n", "referred", "settled"])


def implementation(store: ResultsStore) -> str:
    """The Implementation chapter (Quarto-flavoured Markdown)."""
    parts = [opening(store, "Implementation", "implementation")]
    if not store.ran(STRAND):
        return join(*parts, not_run(store, STRAND, "implementation"))
    parts.append(finding(store).answer + "\n")
    has_fig = {name: store.figure(name) is not None for name in (
        "implementation_funnel", "implementation_monthly", "implementation_km_start", "implementation_hours")}
    parts.append("## The referral funnel {#sec-implementation-funnel}\n")
    lead = []
    if store.has_table("implementation_funnel"):
        lead.append(f"{tbl_ref('implementation-funnel')} follows every referral from the police decision to its "
                    "status at the extract date; the statuses add up to the referrals.")
    if has_fig["implementation_funnel"]:
        lead.append(f"{fig_ref('implementation_funnel')} shows the same steps.")
    if has_fig["implementation_monthly"]:
        lead.append(f"{fig_ref('implementation_monthly')} shows referrals each month by status.")
    if lead:
        parts.append(" ".join(lead) + "\n")
    if store.has_table("implementation_funnel"):
        parts.append(_funnel_table(store))
    parts += [figure(store, n) for n in ("implementation_funnel", "implementation_monthly") if has_fig[n]]
    parts.append("## Timeliness {#sec-implementation-timeliness}\n")
    lead = ["Waits are counted from the date of the police decision. People still waiting at the extract date are "
            "counted as not within 48 hours and are censored, not dropped, in the medians."]
    if store.has_table("implementation_timeliness"):
        lead.append(f"{tbl_ref('implementation-timeliness')} gives the shares within 48 hours by route and age group.")
    if has_fig["implementation_km_start"]:
        lead.append(f"{fig_ref('implementation_km_start')} shows how quickly work started.")
    parts.append(" ".join(lead) + "\n")
    if store.has_table("implementation_timeliness"):
        parts.append(_timeliness_table(store))
    if has_fig["implementation_km_start"]:
        parts.append(figure(store, "implementation_km_start"))
    parts.append("## Dosage: hours, workshops and placements {#sec-implementation-dosage}\n")
    lead = []
    if store.has_table("implementation_dosage"):
        lead.append(f"{tbl_ref('implementation-dosage')} sets the hours completed against the hours required.")
    if has_fig["implementation_hours"]:
        lead.append(f"{fig_ref('implementation_hours')} shows the hours by the activity of each person's main "
                    "placement.")
    if lead:
        parts.append(" ".join(lead) + "\n")
    if store.has_table("implementation_dosage"):
        parts.append(_dosage_table(store))
    if has_fig["implementation_hours"]:
        parts.append(figure(store, "implementation_hours"))
    if store.has_table("implementation_equality"):
        parts += ["## Equality {#sec-implementation-equality}\n",
                  f"{tbl_ref('implementation-equality')} compares who was referred with the comparison cohort, and "
                  "completion and refusal in each group with everyone else. A difference is flagged only when it is "
                  "large and unlikely to be chance after allowing for the number of comparisons (Holm's method).\n",
                  _equality_table(store)]
    notes = notes_list(store, STRAND)
    if notes:
        parts += ["## Notes {#sec-implementation-notes}\n", notes]
    return join(*parts)
