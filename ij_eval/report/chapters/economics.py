"""The Value for money chapter and its finding: is Immediate Justice value for money?

A Green Book cost-benefit appraisal (HM Treasury), read from the ``value_for_money`` strand's
headlines and ``vfm_*`` tables. Money goes through :func:`ij_eval.report.numbers.money`.
"""

from __future__ import annotations

import re

import polars as pl

from ij_eval.report import numbers as fmt
from ij_eval.report.chapters._common import (
    COUNT,
    PERCENT,
    TEXT,
    Formatter,
    frame_table,
    not_run,
    notes_list,
    opening,
    upper_first,
)
from ij_eval.report.escape import md_text
from ij_eval.report.findings import STRENGTH_WORDS, Finding
from ij_eval.report.markdown import bullets, callout, fig_ref, figure, join, table, tbl_ref
from ij_eval.report.store import ResultsStore

STRAND = "value_for_money"
QUESTION = "Is it value for money?"
MONEY: Formatter = lambda v: fmt.money(v)  # noqa: E731
NUMBER0: Formatter = lambda v: fmt.number(float(v))  # noqa: E731
NUMBER4: Formatter = lambda v: fmt.number(float(v), 4)  # noqa: E731
BREAKDOWNS = {"total": "Total", "category": "By category", "funder": "By funder", "cash_in_kind": "Cash or in kind",
              "year": "By year", "per_unit": "Per unit", "optimism_bias": "Optimism bias"}
CODED_BREAKDOWNS = ("category", "cash_in_kind", "total", "optimism_bias")  # items that are codes, not names
GRADES = {
    "VERIFIED": "checked against the original published source.",
    "SECONDHAND": "a published figure taken from a source that quotes it, not yet checked against the original.",
    "CONFIG": "supplied by the evaluation team in the evaluation's settings; the source says where it came from "
              "(marked SECONDHAND there when it was quoted second-hand, ILLUSTRATIVE when it is a placeholder).",
    "ESTIMATED": "estimated by this evaluation, from the analyses in the earlier chapters.",
    "DERIVED": "calculated from other parameters (for example, a unit cost weighted by the mix of offences).",
    "DEFAULT": "a modelling choice made where no figure is supplied, stated in its source.",
}
SIMULATIONS = "of the simulations that vary the uncertain assumptions"
EFFECT_BENEFITS = {"reoffending": "reoffending", "asb_hotspots": "hotspots"}  # benefit -> the finding it values


# --------------------------------------------------------------------------------------------------
# reading the store

def _h(store: ResultsStore, key: str) -> dict | None:
    """A headline with an estimate, or None."""
    h = store.headline(STRAND, key)
    return h if h is not None and h.get("estimate") is not None else None


def _has_ci(h: dict | None) -> bool:
    return h is not None and h.get("ci_lower") is not None and h.get("ci_upper") is not None


def _benefits(store: ResultsStore) -> list[dict]:
    return list(store.table("vfm_benefits").iter_rows(named=True)) if store.has_table("vfm_benefits") else []


def _unvalued(store: ResultsStore, statuses: tuple[str, ...] = ("not valued", "switched off")) -> list[dict]:
    return [b for b in _benefits(store) if b["status"] in statuses]


def _parameters(store: ResultsStore) -> dict[str, dict]:
    if not store.has_table("vfm_parameters"):
        return {}
    return {row["parameter"]: row for row in store.table("vfm_parameters").iter_rows(named=True)}


def _sources(store: ResultsStore) -> list[tuple[str, str]]:
    """(grade, source) of every parameter and unit cost."""
    out = [(p["grade"] or "", p["source"] or "") for p in _parameters(store).values()]
    if store.has_table("vfm_unit_costs"):
        out += [(r["grade"] or "", r["source"] or "") for r in store.table("vfm_unit_costs").iter_rows(named=True)]
    return out


def _secondhand(store: ResultsStore) -> bool:
    return any(grade == "SECONDHAND" or "SECONDHAND" in source for grade, source in _sources(store))


def _illustrative(store: ResultsStore) -> bool:
    return any("ILLUSTRATIVE" in source for _, source in _sources(store))


def _lower_first(text: str) -> str:
    """'Reoffences avoided' -> 'reoffences avoided'; 'ASB incidents' stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _words(code: object) -> str:
    """A code as words: 'shop_theft' -> 'shop theft'."""
    return "" if code is None else str(code).replace("_", " ")


def _named(row: dict) -> str:
    """A benefit's or parameter's label (text from the store) as Markdown inside a sentence."""
    return md_text(_lower_first(row["label"] or ""))


def _price_year(store: ResultsStore) -> str | None:
    year = store.config.get("value_for_money", {}).get("price_year")
    if year:
        return str(year)
    npv = store.headline(STRAND, "npv") or {}
    found = re.search(r"at (\S+) prices", npv.get("caveat") or "")
    return found.group(1) if found else None


def _discount_rate(store: ResultsStore) -> float | None:
    rate = _parameters(store).get("discount_rate", {}).get("value")
    return rate if rate is not None else store.config.get("value_for_money", {}).get("discount_rate")


def _base_date(store: ResultsStore) -> str | None:
    """The start of year 0 of the appraisal (ISO), from the cash flows or the strand's notes."""
    texts = []
    if store.has_table("vfm_cashflows"):
        texts += store.table("vfm_cashflows").filter(pl.col("year") == 0)["label"].to_list()
    texts += store.notes(STRAND)
    for text in texts:
        found = re.search(r"from (\d{4}-\d{2}-\d{2})", text or "")
        if found:
            return found.group(1)
    return None


# --------------------------------------------------------------------------------------------------
# the finding

def _between(h: dict, show=MONEY) -> str:
    return f"between {show(h['ci_lower'])} and {show(h['ci_upper'])}"


def _bcr_words(bcr: dict) -> str:
    """'for every £1 spent, the benefits valued come to about £1.13 (it could plausibly be between ...)'."""
    text = f"for every £1 spent, the benefits valued come to about {MONEY(bcr['estimate'])}"
    return text + (f" (it could plausibly be {_between(bcr)})" if _has_ci(bcr) else "")


def _npv_words(npv: dict) -> str:
    return f"a net present value of {MONEY(npv['estimate'])}" + (f" ({_between(npv)})" if _has_ci(npv) else "")


def verdict(bcr: dict) -> str:
    """'above' (the whole 95% interval of the BCR above 1), 'below', 'unsettled' (it spans 1) or 'unknown'."""
    if not _has_ci(bcr):
        return "unknown"
    if bcr["ci_lower"] > 1:
        return "above"
    if bcr["ci_upper"] < 1:
        return "below"
    return "unsettled"


def _understated(store: ResultsStore) -> str:
    missing = _unvalued(store)
    if not missing:
        return ""
    names = ", ".join(_named(b) for b in missing)
    return f" Some benefits were not valued ({names}), so the benefits are understated."


def _levels(store: ResultsStore) -> list[tuple[str, int]]:
    """(benefit, Maryland level) of each measured effect the appraisal values."""
    from ij_eval.report import findings

    valued = {b["benefit"] for b in _benefits(store) if b["status"] == "valued"}
    out = []
    for benefit, key in EFFECT_BENEFITS.items():
        if benefit in valued:
            found = getattr(findings, key)(store)
            if found.answered and found.sms_level:
                out.append((benefit, found.sms_level))
    return out


def _evidence(store: ResultsStore) -> str:
    levels = dict(_levels(store))
    rests = []
    if "reoffending" in levels:
        rests.append(f"the effect on reoffending it values comes from a matched comparison of individuals (Maryland "
                     f"level {levels['reoffending']} of 5)")
    if "asb_hotspots" in levels:
        rests.append(f"the effect on hotspot ASB from a comparison with similar areas (level {levels['asb_hotspots']} "
                     "of 5)")
    text = ("A Green Book cost-benefit appraisal (HM Treasury): it is only as strong as the effects it values and the "
            "unit costs it puts on them.")
    if rests:
        text += " " + upper_first("; ".join(rests)) + "."
    text += (" The other benefits (officer time, criminal-justice costs, the work itself) rest on assumed quantities "
             "and published unit costs")
    if _secondhand(store):
        text += ", some quoted second-hand rather than checked against the original"
    if _illustrative(store):
        text += ", and some assumptions are illustrative placeholders"
    return text + "."


def _strength(store: ResultsStore) -> str:
    levels = [level for _, level in _levels(store)]
    if not levels:
        return "not rated on the Maryland scale: an appraisal of costs and assumed benefits, with no measured effect"
    low = min(levels)
    return (f"{STRENGTH_WORDS[low]} at best: an appraisal no stronger than the effects it values (the weakest at level "
            f"{low} of 5 on the Maryland scale)" + (", with unit costs partly quoted second-hand"
                                                     if _secondhand(store) else ""))


def _next_step(store: ResultsStore) -> str:
    steps = []
    if _secondhand(store):
        steps.append("check the unit costs quoted second-hand (SECONDHAND) against their original sources")
    if _illustrative(store):
        steps.append("replace the illustrative assumptions with local figures")
    missing = _unvalued(store, ("not valued",))
    if missing:
        steps.append("supply what the benefits not valued need (" + ", ".join(_named(b) for b in missing) + ")")
    steps.append("re-run the appraisal as the reoffending and ASB estimates firm up")
    return upper_first("; ".join(steps)) + "."


def finding(store: ResultsStore) -> Finding:
    """The answer to 'Is it value for money?' from the value-for-money headlines."""
    if not store.ran(STRAND):
        reason = md_text(store.not_run_reason(STRAND))
        return Finding(STRAND, QUESTION, False,
                       f"Not answered by this run: the value-for-money analysis did not run ({reason}).",
                       "No evidence from this evaluation.", "Supply the costs table and re-run the evaluation.")
    npv, bcr, chance = _h(store, "npv"), _h(store, "bcr"), _h(store, "probability_bcr_above_1")
    if npv is None or bcr is None:
        why = next(iter(store.notes(STRAND)), "the scheme's costs and benefits could not be valued").rstrip(".")
        return Finding(STRAND, QUESTION, False,
                       f"Not answered by this run: the value-for-money analysis ran but could not appraise the scheme "
                       f"({md_text(_lower_first(why))}).", "No evidence from this evaluation.",
                       "Supply the costs the appraisal needs and re-run the evaluation.")
    words, kind = _bcr_words(bcr), verdict(bcr)
    p = fmt.percent(chance["estimate"]) if chance else None
    if kind == "above":
        answer = (f"Immediate Justice is value for money on the benefits that could be valued: {words}, "
                  f"{_npv_words(npv)}.")
        answer += f" The benefits exceeded the costs in {p} {SIMULATIONS}." if p else ""
        short = f"It is value for money on the benefits valued: {words}."
    elif kind == "below":
        answer = (f"On the benefits that could be valued, Immediate Justice is not value for money: {words}, "
                  f"{_npv_words(npv)}.")
        answer += f" The benefits exceeded the costs in only {p} {SIMULATIONS}." if p else ""
        short = f"It is not value for money on the benefits valued: {words}."
    elif kind == "unsettled":
        likely = ("it is more likely than not to be value for money" if chance and chance["estimate"] >= 0.5 else
                  "the costs more likely than not exceed the benefits valued")
        answer = (f"The evidence does not settle whether Immediate Justice is value for money. {upper_first(words)}, "
                  f"{_npv_words(npv)}.")
        answer += (f" The benefits exceeded the costs in {p} {SIMULATIONS}, so {likely}, but the interval spans the "
                   "point where benefits equal costs." if p else "")
        short = (f"{upper_first(words)}; the benefits exceeded the costs in {p} of simulations varying the uncertain "
                 f"assumptions, so {likely}, but it is not settled." if p else
                 f"{upper_first(words)}; it is not settled.")
    else:
        answer = (f"{upper_first(words)}, {_npv_words(npv)}. The appraisal gives no interval, so how firm this is "
                  "cannot be said.")
        short = f"{upper_first(words)}; how firm this is cannot be said."
    understated = _understated(store)
    return Finding(STRAND, QUESTION, True, answer + understated, _evidence(store), _next_step(store), None,
                   "Green Book cost-benefit appraisal (HM Treasury) of the measured effects, with Monte Carlo "
                   "uncertainty", short=short + understated, strength=_strength(store))


# --------------------------------------------------------------------------------------------------
# parameters: values in their units

def _pct(v: float) -> str:
    return fmt.percent(v, 0 if abs(100 * v - round(100 * v)) < 0.05 else 1)


def _show(value: float | None, unit: str | None) -> str:
    """A parameter value in its unit: £ amounts, shares as %, proportion points as points."""
    if value is None:
        return "–"
    unit = unit or ""
    if unit == "£":
        return MONEY(value)
    if unit in ("share", "rate", "proportion"):
        return _pct(value)
    if unit == "proportion points":
        return f"{fmt.points(value, 1)} points"
    if unit in ("hours", "reoffences"):
        return f"{fmt.number(value, 2 if unit == 'reoffences' else 1)} {unit}"
    if unit == "incidents":
        return f"{fmt.number(value)} {unit}"
    return f"{fmt.number(value, 2)} {md_text(unit)}".strip()


WORD_UNITS = ("hours", "reoffences", "incidents", "proportion points")  # written after the number


def _range(row: dict, unit: str | None = None, *, with_unit: bool = True) -> str:
    """'1.0 to 4.0 hours' ('1.0 to 4.0' without the unit, for a table beside the value); '–' when fixed."""
    low, high = row.get("low"), row.get("high")
    unit = row.get("unit") if unit is None else unit
    if low is None or high is None or (row.get("distribution") == "fixed") or low == high:
        return "–"
    if unit in WORD_UNITS:  # the unit once, after the range
        high_text = _show(high, unit) if with_unit else _show(high, unit).split(" ", 1)[0]
        return f"{_show(low, unit).split(' ', 1)[0]} to {high_text}"
    return f"{_show(low, unit)} to {_show(high, unit)}"


def _value_and_range(p: dict | None, *, nested: bool = False) -> str:
    """'2.0 hours (range 1.0 to 4.0 hours)', or '2.0 hours, range 1.0 to 4.0 hours' inside brackets; just the
    value when it is fixed."""
    if p is None:
        return "the value in the parameters table"
    span = _range(p)
    if span == "–":
        return _show(p["value"], p["unit"])
    return _show(p["value"], p["unit"]) + (f", range {span}" if nested else f" (range {span})")


# --------------------------------------------------------------------------------------------------
# the chapter's parts

def _opening_text(store: ResultsStore) -> str:
    price_year, rate, base = _price_year(store), _discount_rate(store), _base_date(store)
    text = ("This chapter asks whether Immediate Justice is value for money, in a cost-benefit appraisal following HM "
            "Treasury's Green Book: the scheme's costs and the benefits that can be given a money value are set "
            "side by side.")
    prices = f"at {md_text(price_year)} prices" if price_year else "in real terms"
    if rate is not None:
        stpr = " (the Green Book's social time preference rate)" if abs(rate - 0.035) < 1e-9 else ""
        when = f", the 12 months from {fmt.date(base)}" if base else ""
        text += (f" Money is in pounds {prices}; costs and benefits in later years are discounted at "
                 f"{fmt.percent(rate, 1)} a year{stpr} to the base year{when}, and summed as present values.")
    return text + "\n"


def _totals_text(store: ResultsStore) -> str:
    costs, benefits = _h(store, "pv_costs"), _h(store, "pv_benefits")
    if costs is None or benefits is None:
        return ""
    text = (f"The present value of the benefits valued is {MONEY(benefits['estimate'])}, against costs of "
            f"{MONEY(costs['estimate'])}.")
    missing = _unvalued(store)
    if missing:
        reasons = "; ".join(f"{_named(b)} ({_note(b)})" for b in missing)
        text += f" Not valued: {reasons}. The benefits, and so the ratio, are understated by whatever these are worth."
    else:
        text += (" Benefits the model does not cover at all, such as victims' satisfaction or public confidence, are "
                 "not counted, so if anything the benefits are understated.")
    return text + "\n"


def _year_words(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """'year 0 (from 2023-10-01)' -> 'year 0 (from 1 October 2023)'."""
    return frame.with_columns(pl.col(column).map_elements(
        lambda text: re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: fmt.date(m.group(0)), text), return_dtype=pl.String))


def _note(benefit: dict) -> str:
    """Why a benefit was not valued (text from the store) as Markdown: '[value_for_money] benefits' stays text."""
    note = (benefit.get("note") or benefit["status"]).strip().rstrip(".")
    return md_text(note.removeprefix("not valued: "))


def _costs(store: ResultsStore) -> list[str]:
    out = ["## Costs {#sec-vfm-costs}\n"]
    total, pv = _h(store, "total_cost"), _h(store, "pv_costs")
    price_year = _price_year(store) or "real"
    lead = []
    if total is not None:
        lead.append(f"The scheme cost {MONEY(total['estimate'])} as recorded, cash and in kind.")
    if store.has_table("vfm_costs"):
        lead.append(f"{tbl_ref('vfm-costs')} breaks this down by category, funder, cash or in kind and year, in "
                    f"{md_text(price_year)} prices and, by year, as present values.")
    if pv is not None:
        lead.append(f"The present value of the costs is {MONEY(pv['estimate'])}.")
    bias = _parameters(store).get("optimism_bias")
    if bias is not None:
        span = _range(bias)
        lead.append(f"An optimism-bias uplift of {_show(bias['value'], bias['unit'])} is added to the costs "
                    + ("(fixed)" if span == "–" else f"in the central estimate, and from {span} in the uncertainty "
                       "analysis") + f" ({tbl_ref('vfm-parameters')}); costs that are outturn (money actually "
                    "spent) need little or none.")
    if lead:
        out.append(" ".join(lead) + "\n")
    if store.has_table("vfm_costs"):
        out.append(_costs_table(store, price_year))
    per = [(key, words) for key, words in (("cost_per_referral", "per referral"),
                                           ("cost_per_completion", "per completion"),
                                           ("cost_per_hour", "per hour of reparative work"))
           if store.headline(STRAND, key) is not None]
    if per:
        shown = [f"{MONEY(store.headline(STRAND, key)['estimate'])} {words}" for key, words in per]
        text = "That is " + (", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0])
        text += f", at {md_text(price_year)} prices and before discounting"
        if store.has_table("vfm_cost_per_unit"):
            text += f" ({tbl_ref('vfm-cost-per-unit')})"
        out.append(text + ". These are average costs: the whole cost of the scheme divided by what it delivered.\n")
    if store.has_table("vfm_cost_per_unit"):
        out.append(frame_table(
            store.table("vfm_cost_per_unit").with_columns(pl.col("item").str.replace(r"^per ", "")),
            {"item": ("Per", TEXT), "units": ("Number", COUNT), "real_gbp": ("Cost each", MONEY),
             "note": ("How it is worked out", TEXT)},
            label="vfm-cost-per-unit", caption=f"Cost per referral, completion and hour ({price_year} prices)",
            counts=["n", "units"]))
    return out


def _costs_table(store: ResultsStore, price_year: str) -> str:
    frame = _year_words(store.table("vfm_costs"), "item")
    shown, previous = [], None
    for rec in frame.iter_rows(named=True):
        group = rec["breakdown"]
        rec["breakdown"] = "" if group == previous else BREAKDOWNS.get(group, group.replace("_", " "))
        if group in CODED_BREAKDOWNS and rec["item"] is not None:  # a code as words; a funder's name as written
            rec["item"] = rec["item"].replace("_", " ")
        previous = group
        shown.append(rec)
    return frame_table(
        pl.DataFrame(shown, schema=frame.schema),
        {"breakdown": ("Breakdown", TEXT), "item": ("Item", TEXT), "cash_gbp": ("As recorded", MONEY),
         "real_gbp": (f"At {price_year} prices", MONEY), "present_value_gbp": ("Present value", MONEY),
         "share": ("Share", PERCENT)},
        label="vfm-costs", caption=f"Costs by category, funder, cash or in kind and year ({price_year} prices; "
        "present values discounted to the base year)")


def _how_valued(store: ResultsStore, benefit: dict, params: dict[str, dict]) -> str:
    key, label = benefit["benefit"], f"**{md_text(benefit['label'])}.**"
    if benefit["status"] != "valued":
        return f"{label} Not valued: {_note(benefit)}."
    p = params.get
    if key == "reoffending":
        effect = _h(store, "reoffending_effect")
        size = ""
        if _has_ci(effect):
            rose = "; below zero, reoffending rose" if effect["estimate"] < 0 else ""
            size = (f" ({fmt.points(effect['estimate'], 1)} percentage points, between "
                    f"{fmt.points(effect['ci_lower'], 1)} and {fmt.points(effect['ci_upper'], 1)}{rose})")
        return (f"{label} The reduction in the reoffending rate estimated in the Reoffending chapter{size} is "
                "applied to the people referred, with the proven reoffences per reoffender of the comparison cohort "
                f"({_value_and_range(p('reoffences_per_reoffender'), nested=True)}); each reoffence avoided is "
                "valued at the Home Office unit cost of crime for its offence type, weighted by the comparison "
                f"cohort's reoffences ({_value_and_range(p('cost_per_reoffence'), nested=True)}).")
    if key == "officer_time":
        rate = p("officer_cost_per_hour")
        return (f"{label} Each IJ case dealt with out of court is taken to save "
                f"{_value_and_range(p('case_file_hours'))} of officer time on the case file, at "
                f"{_value_and_range(rate)} an hour.")
    if key == "criminal_justice":
        return (f"{label} A share of the out-of-court IJ cases "
                f"({_value_and_range(p('charge_replaced_share'), nested=True)}) is "
                "taken to have been charged otherwise, each charged case costing the criminal justice system "
                f"{_value_and_range(p('cj_cost_per_case'))}.")
    if key == "reparative_work":
        return (f"{label} Each hour of reparative work completed is valued at "
                f"{_value_and_range(p('reparative_wage'))}, the wage the same labour would cost.")
    if key == "asb_hotspots":
        return (f"{label} The ASB incidents avoided in the hotspots each year, from the Anti-social behaviour "
                f"chapter ({_value_and_range(p('asb_hotspot_reduction'), nested=True)}), less any rise in the areas "
                f"around them (displacement; the estimated change there is "
                f"{_value_and_range(p('asb_buffer_change'), nested=True)}), each valued at "
                f"{_value_and_range(p('asb_cost_per_incident'))}.")
    return f"{label} Valued as set out in {tbl_ref('vfm-parameters')}."


def _benefits_section(store: ResultsStore) -> list[str]:
    if not store.has_table("vfm_benefits"):
        return []
    out = ["## Benefits {#sec-vfm-benefits}\n",
           f"{tbl_ref('vfm-benefits')} lists the benefits the appraisal can value, how much of each the scheme "
           "produced and what it is worth. Each is valued as follows.\n",
           bullets([_how_valued(store, b, _parameters(store)) for b in _benefits(store)])]
    frame = store.table("vfm_benefits").with_columns(
        pl.when(pl.col("quantity").is_null()).then(pl.lit(None)).otherwise(pl.col("quantity_unit"))
        .alias("quantity_unit"))
    columns = {"label": ("Benefit", TEXT), "status": ("Status", TEXT), "quantity": ("Amount", NUMBER0),
               "quantity_unit": ("Measured as", TEXT), "present_value_gbp": ("Present value", MONEY),
               "share": ("Share of benefits", PERCENT)}
    if (frame["status"] == "valued").all():
        del columns["status"]
    out.append(frame_table(frame, columns, label="vfm-benefits",
                           caption="Benefits, their quantities and present values"))
    if store.has_table("vfm_cashflows"):
        out += [f"{tbl_ref('vfm-cashflows')} sets the costs and benefits out by year, with the discount factor that "
                "turns each year's net benefit into a present value.\n",
                frame_table(_year_words(store.table("vfm_cashflows"), "label"),
                            {"label": ("Year", TEXT), "costs_gbp": ("Costs", MONEY),
                             "benefits_gbp": ("Benefits", MONEY), "net_gbp": ("Net", MONEY),
                             "discount_factor": ("Discount factor", NUMBER4),
                             "pv_net_gbp": ("Net present value", MONEY)},
                            label="vfm-cashflows", caption="Costs and benefits by appraisal year "
                            f"({_price_year(store) or 'real'} prices)")]
    return out


def _uncertainty(store: ResultsStore) -> list[str]:
    out = ["## How sure is the answer? {#sec-vfm-uncertainty}\n"]
    npv, chance = _h(store, "npv"), _h(store, "probability_bcr_above_1")
    draws = None
    if store.has_table("vfm_monte_carlo"):
        mc = store.table("vfm_monte_carlo")
        draws = mc["draws"].drop_nulls().max() if "draws" in mc.columns else None
        median = mc.filter(pl.col("measure") == "npv")["p50"].to_list()
    else:
        median = []
    text = (f"Every uncertain input has a range ({tbl_ref('vfm-parameters')}). The appraisal was re-run "
            f"{fmt.count(draws) + ' times' if draws else 'many times'}, each time drawing every input at random "
            "from its range (a Monte Carlo simulation); the 95% intervals above are the middle 95% of these runs.")
    if chance is not None:
        text += f" In {fmt.percent(chance['estimate'])} of them the benefits exceeded the costs"
        text += f" ({fig_ref('vfm_npv_distribution')})." if store.figure("vfm_npv_distribution") else "."
    pv_costs = _h(store, "pv_costs")
    if (npv is not None and median and median[0] is not None and pv_costs is not None
            and abs(median[0] - npv["estimate"]) > 0.05 * abs(pv_costs["estimate"])):
        text += (f" The middle run's net present value ({MONEY(median[0])}) differs from the central estimate "
                 f"({MONEY(npv['estimate'])}) because some ranges reach further on one side of their central value "
                 "than the other.")
    out.append(text + "\n")
    if store.figure("vfm_npv_distribution"):
        out.append(figure(store, "vfm_npv_distribution"))
    if store.has_table("vfm_sensitivity") and npv is not None:
        out.append(_tornado_text(store, npv["estimate"]))
        if store.figure("vfm_tornado"):
            out.append(figure(store, "vfm_tornado"))
    out += _break_even(store)
    return out


def _tornado_text(store: ResultsStore, npv: float) -> str:
    sens = store.table("vfm_sensitivity").sort("swing", descending=True)
    if sens.is_empty():
        return ""
    rows = list(sens.iter_rows(named=True))
    top = [f"the {_named(r)} ({_range(r, r.get('unit'))}: a net present value from "
           f"{MONEY(r['npv_low'])} to {MONEY(r['npv_high'])})" for r in rows[:3]]
    listed = ", ".join(top[:-1]) + (" and " if len(top) > 1 else "") + top[-1]
    where = fig_ref("vfm_tornado") if store.figure("vfm_tornado") else "A one-way sensitivity analysis"
    text = (f"{where} moves one input at a time across its range, keeping the rest at their central values. The "
            f"answer moves most with {listed}.")
    if npv >= 0:
        flips = [_named(r) for r in rows if min(r["npv_low"], r["npv_high"]) < 0]
        turn = "negative"
    else:
        flips = [_named(r) for r in rows if max(r["npv_low"], r["npv_high"]) > 0]
        turn = "positive"
    if flips:
        names = [f"the {name}" for name in flips]
        either = ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]
        text += (f" On its own, a value at the far end of the range of {either} would turn the net present value "
                 f"{turn}.")
    else:
        text += " No single input, moved across its range, changes the sign of the net present value."
    return text + "\n"


def _break_even(store: ResultsStore) -> list[str]:
    out = ["### The reduction in reoffending needed to break even {#sec-vfm-break-even}\n"]
    be = store.headline(STRAND, "break_even_effect")
    if be is None:
        return out + ["Reoffending was not valued in this appraisal, so there is no break-even reduction in "
                      "reoffending to report.\n"]
    effect = _h(store, "reoffending_effect")
    estimate = ""
    if effect is not None:
        estimate = f"; the estimate is {fmt.points(effect['estimate'], 1)}" + (
            f" ({fmt.points(effect['ci_lower'], 1)} to {fmt.points(effect['ci_upper'], 1)})" if _has_ci(effect) else "")
    value = be.get("estimate")
    if value is None:
        text = "No reduction in reoffending makes the benefits equal the costs within the range considered."
    elif value <= 0:
        text = ("The other benefits cover the costs on their own: the benefits equal the costs even with no fall in "
                "reoffending" + (f" (the estimated fall is {fmt.points(effect['estimate'], 1)} percentage points)"
                                 if effect is not None else "") + ".")
    else:
        text = (f"The benefits equal the costs if the scheme cuts the reoffending rate by at least "
                f"{fmt.points(value, 1)} percentage points{estimate}.")
        if effect is not None:
            if _has_ci(effect) and effect["ci_lower"] >= value:
                text += " The whole interval of the estimate is above the break-even point."
            elif effect["estimate"] >= value:
                text += " The estimate is above the break-even point, but its interval reaches below it."
            else:
                text += " The estimate is below the break-even point."
    if store.figure("vfm_break_even"):
        text += f" {fig_ref('vfm_break_even')} shows the net present value for each size of reduction."
    out.append(text + "\n")
    if store.figure("vfm_break_even"):
        out.append(figure(store, "vfm_break_even"))
    per, avoided = _h(store, "cost_per_reoffence_avoided"), _h(store, "reoffences_avoided")
    if per is not None and avoided is not None:
        out.append(f"On the central estimate, {fmt.number(avoided['estimate'])} reoffences are avoided"
                   + (f" ({_between(avoided, fmt.number)})" if _has_ci(avoided) else "")
                   + f": the present value of the costs per reoffence avoided is {MONEY(per['estimate'])}, a figure "
                   "that sets the whole cost against this one benefit.\n")
    elif avoided is not None:
        out.append(f"On the central estimate, reoffending did not fall ({fmt.number(avoided['estimate'])} reoffences "
                   "avoided), so there is no cost per reoffence avoided and this benefit counts against the "
                   "scheme.\n")
    return out


def _source_list(rows: list[tuple[str, str]]) -> str:
    """'- **Name:** source.' for each (name, source) row of text, the sources as written (they can be long)."""
    return bullets([f"**{md_text(name)}:** {md_text(source.strip().rstrip('.'))}." for name, source in rows
                    if source])


def _parameters_section(store: ResultsStore) -> list[str]:
    if not store.has_table("vfm_parameters"):
        return []
    price_year = _price_year(store) or "real"
    params = list(_parameters(store).values())
    rows = [[md_text(upper_first(p["label"] or p["parameter"])), _show(p["value"], p["unit"]),
             _range(p, with_unit=False), md_text(p["distribution"]), md_text(p["grade"]),
             md_text(p["native_price_year"] or "–")] for p in params]
    out = ["## The assumptions and their sources {#sec-vfm-parameters}\n",
           f"{tbl_ref('vfm-parameters')} lists every input to the appraisal: its central value and range (money in "
           f"{md_text(price_year)} prices), the distribution its draws follow in the simulation, a grade for how far "
           "its source has been checked and the price year of the source; money from an earlier year is uprated with "
           "HM Treasury's GDP deflators. The sources follow the table. The grades:\n",
           bullets([f"**{grade}:** {words}" for grade, words in GRADES.items()]),
           table(rows, ["Parameter", "Value", "Range", "Draws", "Grade", "Source prices"],
                 label="vfm-parameters", caption=f"Parameters of the appraisal ({price_year} prices)",
                 align="lrrlll"),
           "Sources of the parameters:\n",
           _source_list([(upper_first(p["label"] or p["parameter"]), p["source"] or "") for p in params])]
    if store.has_table("vfm_unit_costs"):
        costs = list(store.table("vfm_unit_costs").iter_rows(named=True))
        units = [[md_text(upper_first(_words(r["offence_type"]))), MONEY(r["value"]), _range({**r, "unit": "£"}),
                  md_text(r["grade"]), md_text(r["native_price_year"] or "–")] for r in costs]
        out += [f"{tbl_ref('vfm-unit-costs')} gives the unit cost of crime for each offence type, from which the "
                "cost of a reoffence is weighted by the offences of the comparison cohort. Offences the Home Office "
                "does not cost (crimes against society) count as nothing, which errs low.\n",
                table(units, ["Offence type", "Cost", "Range", "Grade", "Source prices"],
                      label="vfm-unit-costs", caption=f"Unit costs of crime by offence type ({price_year} prices)",
                      align="lrrll"),
                "Sources of the unit costs:\n",
                _source_list([(upper_first(_words(r["offence_type"])), r["source"] or "") for r in costs])]
    return out


def value_for_money(store: ResultsStore) -> str:
    """The Value for money chapter (Quarto-flavoured Markdown)."""
    parts = [opening(store, "Value for money", "value-for-money")]
    if not store.ran(STRAND):
        return join(*parts, not_run(store, STRAND, "value-for-money"))
    found = finding(store)
    if not found.answered:
        return join(*parts, found.answer + "\n", notes_list(store, STRAND))
    parts += [_opening_text(store), found.answer + "\n",
              callout("important", f"**An appraisal of the measured effects.** {found.evidence} If the effects are "
                                   "overstated, so are the benefits.")]
    parts.append(_totals_text(store))
    parts += _costs(store)
    parts += _benefits_section(store)
    parts += _uncertainty(store)
    parts += _parameters_section(store)
    notes = notes_list(store, STRAND, skip=("Synthetic data", "Money is in pounds"))  # the opening says it
    if notes:
        parts += ["## Notes from the analysis {#sec-vfm-notes}\n", notes]
    return join(*parts)
