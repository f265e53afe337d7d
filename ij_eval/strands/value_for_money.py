"""Value-for-money strand: a Green Book cost-benefit appraisal of the scheme, with its uncertainty.

It reads the costs table and what the scheme did (referrals, hours of reparative work), and takes
its effects from the strands that ran before it: the reduction in reoffending from the reoffending
strand's adjusted estimate (``[value_for_money] effect_term``) and the fall in hotspot ASB net of
displacement from the hotspot strand's weighted displacement difference. The economics live in
:mod:`ij_eval.vfm`; this module gathers the inputs, names what is missing and shapes the outputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import polars as pl

from ij_eval.config import EvaluationConfig, ValueForMoneyConfig
from ij_eval.errors import ConfigError
from ij_eval.privacy.screen import Screen, Screened, Source, codes
from ij_eval.strands.base import FigureSpec, Headline, StrandResult, TableCell
from ij_eval.vfm import costs as cost_lines
from ij_eval.vfm.deflator import Deflator, load_deflator
from ij_eval.vfm.greenbook import STPR_SOURCE, discount_factors
from ij_eval.vfm.model import BENEFIT_LABELS, GENERAL, NEEDS, Activity, Appraisal
from ij_eval.vfm.parameters import Parameter, estimated, from_spec, parameters_table, resolve
from ij_eval.vfm.reference import UNIT_COSTS_OF_CRIME
from ij_eval.vfm.uncertainty import MEMORY_BUDGET, bytes_per_draw, effect_grid, max_draws, monte_carlo, one_way

NAME = "value_for_money"
TITLE = "Value for money"
REQUIRES = ("costs",)


class NotValued(Exception):
    """A benefit cannot be valued; the message says why (what is missing)."""


def _count_by_year(dates: pl.Series, weights: pl.Series | None, base: dt.date, years: int) -> np.ndarray:
    out = np.zeros(years)
    values = weights if weights is not None else pl.Series([1.0] * dates.len())
    for date, w in zip(dates, values, strict=True):
        if date is not None and w is not None:
            t = cost_lines.year_of(date, base)
            if t < years:
                out[t] += w
    return out


def _base_date(v: ValueForMoneyConfig, config: EvaluationConfig, costs: pl.DataFrame) -> dt.date:
    if v.base_date:
        return v.base_date
    starts = [d for d in (config.scheme.start, costs["period_start"].min()) if d is not None]
    return min(starts)


# --- effects from the earlier strands ---------------------------------------------------------------------------

def _reoffending(results: Mapping[str, StrandResult], config: EvaluationConfig, deflator: Deflator
                 ) -> tuple[list[Parameter], pl.DataFrame]:
    """The reduction in reoffending, reoffences per reoffender and the cost of a reoffence."""
    v, measure = config.value_for_money, config.reoffending.primary_measure
    if "reoffending" not in results:
        raise NotValued("the reoffending strand did not run")
    tables = results["reoffending"].tables
    effects = tables.get("reoffending_effects", pl.DataFrame())
    row = effects.filter(pl.col("term") == v.effect_term).to_dicts() if effects.height else []
    if not row or row[0]["estimate"] is None:
        known = ", ".join(effects["term"].to_list()) if effects.height else "none"
        raise NotValued(f"the reoffending strand has no {v.effect_term!r} estimate ([value_for_money] effect_term; "
                        f"estimated: {known})")
    row = row[0]
    rates = tables["reoffending_rates"].filter((pl.col("measure") == measure) & (pl.col("group") == "comparison")
                                               & (pl.col("age_group") == "all")).row(0, named=True)
    baseline = rates["rate"]
    if baseline is None or rates["offences_per_reoffender"] is None:
        raise NotValued("the comparison cohort's reoffending rate could not be estimated")
    source = f"reoffending strand: {row['label']} ({row['method']}); {row['contrast']}"
    if row["scale"] == "risk difference":
        value = -row["estimate"]
        sd = (row["ci_upper"] - row["ci_lower"]) / (2 * 1.959963984540054) if row["ci_lower"] is not None else None
    elif row["scale"] == "hazard ratio":  # S_ij = S_comparison ^ HR over the window
        def reduction(hr: float) -> float:
            return (1 - baseline) ** hr - (1 - baseline)

        value = reduction(row["estimate"])
        sd = (reduction(row["ci_lower"]) - reduction(row["ci_upper"])) / (2 * 1.959963984540054)
        source += f"; converted to a difference in rates with the comparison cohort's rate {baseline:.3f}"
    else:
        raise NotValued(f"effect_term {v.effect_term!r} is on the {row['scale']} scale, not a risk difference or "
                        "a hazard ratio")
    effect = estimated("reoffending_effect", "Reduction in the reoffending rate", value, sd,
                       "proportion points", source, "reoffending")
    per_reoffender = estimated("reoffences_per_reoffender", "Reoffences per reoffender (comparison cohort)",
                               rates["offences_per_reoffender"], rates["offences_per_reoffender_se"], "reoffences",
                               f"reoffending strand: {measure} reoffences per reoffender in the comparison cohort",
                               "reoffending")
    mix = tables.get("reoffending_offence_types", pl.DataFrame()).filter(
        (pl.col("measure") == measure) & (pl.col("group") == "comparison")) if "reoffending_offence_types" in \
        tables else pl.DataFrame()
    if not mix.height:
        raise NotValued("the comparison cohort has no reoffences to value by offence type")
    unit_costs, missing = [], []
    for offence_type, share in mix.select("offence_type", "share").iter_rows():
        spec = v.unit_cost(offence_type)
        published = UNIT_COSTS_OF_CRIME.get(offence_type)
        if spec is None and published is None:
            missing.append(offence_type)
            continue
        try:
            p = from_spec(f"unit_cost_{offence_type}", f"Cost of a {offence_type.replace('_', ' ')} offence", "£",
                          spec or published, "CONFIG" if spec else published.grade, v.price_year, deflator,
                          "reoffending")
        except (KeyError, ValueError) as exc:
            missing.append(f"{offence_type} ({exc})")
            continue
        unit_costs.append((offence_type, share, p))
    if missing:
        raise NotValued("no unit cost for a reoffence of type " + ", ".join(missing)
                        + " ([value_for_money.unit_costs]; the Home Office 2018 figures verified here cover only "
                        + ", ".join(sorted(UNIT_COSTS_OF_CRIME)) + ")")
    weighted = {k: sum(share * getattr(p, k) for _, share, p in unit_costs) for k in ("value", "low", "high")}
    cost = Parameter("cost_per_reoffence", "Cost of a reoffence (weighted by offence type)", weighted["value"], "£",
                     weighted["low"], weighted["high"],
                     "triangular" if weighted["high"] > weighted["low"] else "fixed",
                     source=f"unit costs of crime by offence type (vfm_unit_costs), weighted by the comparison "
                            f"cohort's {measure} reoffences", grade="DERIVED", used_by="reoffending")
    table = pl.DataFrame([{"offence_type": t, "native_value": p.native_value, "native_price_year": p.native_price_year,
                           "uprating_factor": p.uprating_factor, "value": p.value, "low": p.low, "high": p.high,
                           "source": p.source, "grade": p.grade} for t, _, p in unit_costs])
    return [effect, per_reoffender, cost], table


def _hotspots(results: Mapping[str, StrandResult]) -> tuple[list[Parameter], float]:
    """The annual fall in hotspot ASB and the annual rise in the buffers (displacement); months measured."""
    if "hotspots" not in results or "hotspots_displacement" not in results["hotspots"].tables:
        raise NotValued("the hotspot strand did not estimate displacement (it needs hotspot, buffer and "
                        "comparison areas)")
    total = results["hotspots"].tables["hotspots_displacement"].filter(pl.col("area_id") == "total")
    if not total.height or total["wdd_local_estimate"][0] is None:
        raise NotValued("the hotspot strand has no weighted displacement difference for all hotspots")
    row = total.row(0, named=True)
    per_year = 12 / row["months_after"]
    dispersion = _dispersion(results["hotspots"].tables.get("hotspots_its_diagnostics"))
    scale = per_year * dispersion ** 0.5
    source = ("hotspot strand: weighted displacement difference (Wheeler & Ratcliffe), all hotspots, "
              f"{row['months_after']} months from each start, per year; its Poisson standard errors scaled by the "
              f"square root of {dispersion:.2f}, the median quasi-Poisson dispersion of the hotspot and buffer "
              "areas' time series")
    return [
        estimated("asb_hotspot_reduction", "ASB incidents avoided in the hotspots per year", -row["wdd_local_estimate"]
                  * per_year, (row["wdd_local_std_error"] or 0) * scale, "incidents", source, "asb_hotspots"),
        estimated("asb_buffer_change", "Rise in ASB in the buffer areas per year (displacement)",
                  row["wdd_displacement_estimate"] * per_year, (row["wdd_displacement_std_error"] or 0) * scale,
                  "incidents", source, "asb_hotspots"),
    ], row["months_after"]


def _dispersion(diagnostics: pl.DataFrame | None) -> float:
    """The median Pearson dispersion of the hotspot and buffer areas' time series, at least 1: the WDD's
    standard errors assume Poisson counts (variance = mean), and quasi-Poisson counts have variance
    dispersion x mean, so its standard errors scale by the square root."""
    if diagnostics is None or "dispersion" not in diagnostics.columns:
        return 1.0
    areas = (diagnostics.filter(pl.col("role").is_in(["hotspot", "buffer"]) & pl.col("dispersion").is_not_null())
             .group_by("area_id").agg(pl.col("dispersion").first()))
    return max(1.0, float(areas["dispersion"].median())) if areas.height else 1.0


def _hotspot_years(inputs, config: EvaluationConfig, months: int, base: dt.date, years: int) -> np.ndarray:
    """Share of each year in which the measured hotspot effect is counted: ``months`` from each hotspot's
    start (the period measured, and no longer), averaged over hotspots."""
    starts = []
    if inputs.has("areas"):
        areas = inputs.frame("areas").filter(pl.col("role") == "hotspot")
        if "intervention_start" in areas.columns:
            starts = [d or config.scheme.start for d in areas["intervention_start"]]
    starts = [d for d in starts if d is not None] or [config.scheme.start or base]
    out = np.zeros(years)
    for start in starts:
        end = start + dt.timedelta(days=round(months * 365.25 / 12) - 1)
        for t, share in cost_lines.spread(start, end, base).items():
            if t < years:
                out[t] += share * months / 12 / len(starts)
    return out


# --- the appraisal -----------------------------------------------------------------------------------------------

def _needs(benefit: str) -> list[tuple[str, str]]:
    return [(k, benefit) for k in NEEDS[benefit]]


def _benefit_parameters(benefit: str, inputs, config: EvaluationConfig, deflator: Deflator
                        ) -> tuple[list[Parameter], dict]:
    """The parameters one benefit needs (raising :class:`NotValued` with what is missing), and extras."""
    v = config.value_for_money
    if benefit in ("officer_time", "criminal_justice", "reparative_work") and not inputs.has("referrals"):
        raise NotValued("the referrals table is missing")
    if benefit == "reoffending":
        found, table = _reoffending(inputs.results, config, deflator)
        return found, {"unit_costs": table}
    if benefit == "asb_hotspots":
        found, months = _hotspots(inputs.results)
        extra, missing = resolve([("asb_cost_per_incident", benefit)], v, deflator)
        if missing:
            raise NotValued("missing " + "; ".join(missing))
        return found + list(extra.values()), {"months": months}
    found, missing = resolve(_needs(benefit), v, deflator)
    if missing:
        raise NotValued("missing " + "; ".join(missing))
    return list(found.values()), {}


def _year_labels(base: dt.date, years: int) -> list[str]:
    return [f"year {t} (from {cost_lines.anniversary(base, t).isoformat()})" for t in range(years)]


REFERRAL_COLUMNS = {"person_id": pl.String, "cohort": pl.String, "referral_date": pl.Date, "route": pl.String,
                    "status": pl.String, "hours_completed": pl.Float64}


def _what_the_scheme_did(inputs, config: EvaluationConfig, costs: pl.DataFrame, base: dt.date,
                         valued: tuple[str, ...], months: int, notes: list[str]
                         ) -> tuple[Activity, dict[str, tuple[float, int, str]]]:
    """The scheme's costs and activity by appraisal year, and the counts its costs per unit divide by."""
    v = config.value_for_money
    referrals = inputs.frame("referrals") if inputs.has("referrals") else pl.DataFrame(schema=REFERRAL_COLUMNS)
    ij = referrals.filter(pl.col("cohort") == "ij")
    needed = cost_lines.last_year(costs, base) + 1
    if ij.height:
        needed = max(needed, cost_lines.year_of(ij["referral_date"].max(), base) + v.effect_years)
    if "asb_hotspots" in valued:  # the last year the measured hotspot effect reaches
        needed = max(needed, len(_trim(_hotspot_years(inputs, config, months, base, needed + months // 12 + 2))))
    # appraisal_years may cut benefits short, never costs
    years = max(v.appraisal_years, cost_lines.last_year(costs, base) + 1) if v.appraisal_years else needed
    if years < needed:
        notes.append(f"Benefits after year {years - 1} are left out (appraisal_years = {v.appraisal_years}).")
    people = ij.group_by("person_id").agg(pl.col("referral_date").min())
    out_of_court = ij.filter(pl.col("route").is_in(list(v.out_of_court_routes)))
    hours = ij["hours_completed"].cast(pl.Float64).fill_null(0.0)
    activity = Activity(
        costs=cost_lines.by_year(costs, base, years),
        referrals=_count_by_year(people["referral_date"], None, base, years),
        out_of_court=_count_by_year(out_of_court["referral_date"], None, base, years),
        hours=_count_by_year(ij["referral_date"], hours, base, years),
        hotspot_years=_hotspot_years(inputs, config, months, base, years))
    completed = ij.filter(pl.col("status") == "completed").height
    units = {"per referral": (ij.height, ij.height, "IJ referrals"),
             "per person referred": (people.height, people.height, "people referred"),
             "per completion": (completed, completed, "completions"),
             "per hour of reparative work": (float(hours.sum()), int((hours > 0).sum()),
                                             "hours of reparative work completed")}
    return activity, units


def _check_draws(n: int, appraisal: Appraisal, parameters: Mapping[str, Parameter], source: str) -> None:
    """Refuse more Monte Carlo draws than fit in memory for this appraisal, with the limit."""
    years, n_benefits = appraisal.years, len(appraisal.benefits)
    limit = max_draws(len(parameters), years, n_benefits)
    if n > limit:
        per_draw = bytes_per_draw(len(parameters), years, n_benefits)
        raise ConfigError(
            f"{source or 'config'}: [value_for_money] monte_carlo_draws = {n} would need about "
            f"{n * per_draw / 2**30:.1f} GiB for this appraisal ({years} years, {len(parameters)} parameters, "
            f"{per_draw:,} bytes a draw); at most {limit} draws fit in the {MEMORY_BUDGET // 2**30} GiB the "
            "simulation may use: lower monte_carlo_draws (or appraisal_years)")


def run(inputs, config: EvaluationConfig) -> StrandResult:
    v = config.value_for_money
    notes: list[str] = []
    deflator = load_deflator(v.deflator, v.deflator_source)
    if inputs.frame("costs").height == 0:
        return StrandResult(NAME, notes=("Value for money not assessed: the costs table has no cost lines.",),
                            warnings=("value for money not assessed: the costs table has no cost lines",))
    costs, cost_missing = cost_lines.real_costs(inputs.frame("costs"), deflator, v.price_year)
    if cost_missing:
        return StrandResult(NAME, notes=(f"Value for money not assessed: the costs cannot be put in "
                                         f"{v.price_year} prices: " + "; ".join(cost_missing) + ".",),
                            warnings=("value for money not assessed: " + "; ".join(cost_missing),))
    base = _base_date(v, config, costs)
    screen = Screen.from_config(config)
    costs, screened = _publishable_funders(costs, config.publication.funder_names, screen)

    general, _ = resolve([(k, "all") for k in GENERAL], v, deflator)
    parameters: dict[str, Parameter] = dict(general)
    statuses: dict[str, str] = {}
    extras: dict[str, dict] = {}
    for benefit in BENEFIT_LABELS:
        if benefit not in v.benefits:
            statuses[benefit] = "switched off in the config ([value_for_money] benefits)"
            continue
        try:
            found, extras[benefit] = _benefit_parameters(benefit, inputs, config, deflator)
        except NotValued as exc:
            statuses[benefit] = f"not valued: {exc}"
            continue
        parameters.update({p.key: p for p in found})
        statuses[benefit] = "valued"
    valued = tuple(b for b in BENEFIT_LABELS if statuses[b] == "valued")

    months = extras.get("asb_hotspots", {}).get("months", 12)
    activity, units = _what_the_scheme_did(inputs, config, costs, base, valued, months, notes)
    years = len(activity.costs)

    appraisal = Appraisal(activity, valued, v.discount_rate, v.effect_years, v.count_diffusion)
    values = {k: p.value for k, p in parameters.items()}
    result = appraisal.evaluate(values)
    _check_draws(v.monte_carlo_draws, appraisal, parameters, config.source)
    mc = monte_carlo(appraisal, parameters, v.monte_carlo_draws, config.run.seed)
    sensitivity = one_way(appraisal, parameters)
    break_even = appraisal.break_even_effect(values)
    factors = discount_factors(v.discount_rate, years)
    labels = _year_labels(base, years)

    pv_costs, pv_benefits, npv, bcr = (float(x) for x in (result.pv_costs, result.pv_total_benefits, result.npv,
                                                          result.bcr))
    tables = {
        "vfm_costs": cost_lines.cost_summary(
            costs, pv_costs=pv_costs, optimism_bias=values["optimism_bias"], year_labels=labels,
            yearly=activity.costs, discount_factors=factors),
        "vfm_cost_per_unit": cost_lines.cost_per_unit(float(costs["real_gbp"].sum()), units),
        "vfm_benefits": _benefits_table(result, statuses, appraisal, values),
        "vfm_parameters": parameters_table([*parameters.values(), _discount_parameter(v)], v.price_year),
        "vfm_sensitivity": sensitivity,
        "vfm_cashflows": _cashflows(result, labels, factors),
        "vfm_monte_carlo": mc.table(),
    }
    if "unit_costs" in extras.get("reoffending", {}):
        tables["vfm_unit_costs"] = extras["reoffending"]["unit_costs"].with_columns(price_year=pl.lit(v.price_year))
    for name in ("vfm_parameters", "vfm_unit_costs"):  # sources are free text from the config (or the package)
        if name in tables:
            tables[name], listed = screen.column(tables[name], "source", Source("config", "[value_for_money] source"))
            screened += listed
    figures = [FigureSpec(
        "vfm_npv_distribution", "Net present value across 10,000 Monte Carlo draws" if v.monte_carlo_draws == 10_000
        else f"Net present value across {v.monte_carlo_draws:,} Monte Carlo draws",
        "Histogram of the net present value in each Monte Carlo draw, with a line at zero and the probability that "
        "benefits exceed costs.", pl.DataFrame({"npv": mc.npv}).with_columns(
            probability_bcr_above_1=pl.lit(mc.probability_bcr_above_1)), _plot("plot_npv_distribution"))]
    if sensitivity.height:
        figures.append(FigureSpec(
            "vfm_tornado", "How the net present value moves with each assumption",
            "Tornado chart: for each uncertain parameter, the net present value at the low and the high end of its "
            "range with every other parameter at its central value, largest swing at the top.",
            sensitivity.with_columns(npv_base=pl.lit(npv)), _plot("plot_tornado")))
    headlines = _headlines(v, mc, result, npv, bcr, pv_costs, pv_benefits, tables["vfm_costs"],
                           tables["vfm_cost_per_unit"], parameters,
                           break_even)
    if "reoffending" in valued:
        effect = parameters["reoffending_effect"]
        top = max(0.0, effect.high or effect.value, break_even or 0.0) * 1.25 or 0.1
        grid = effect_grid(appraisal, parameters, np.linspace(min(0.0, effect.low or 0.0), top, 101))
        tables["vfm_break_even"] = grid
        marks = pl.DataFrame({"mark": ["estimate", "ci_lower", "ci_upper", "break_even"],
                              "effect": [effect.value, effect.low, effect.high, break_even]},
                             schema={"mark": pl.String, "effect": pl.Float64})
        figures.append(FigureSpec(
            "vfm_break_even", "Net present value by the reduction in reoffending",
            "Line chart of the net present value against the reduction in the reoffending rate, with the estimated "
            "reduction and its 95% interval shaded and the break-even point marked.", (grid, marks),
            _plot("plot_break_even")))
    not_valued = [f"{BENEFIT_LABELS[b].lower()} ({statuses[b][len('not valued: '):]})" for b in BENEFIT_LABELS
                  if statuses[b].startswith("not valued")]
    warnings = ()
    if not_valued:
        notes.append("Not valued, so the benefits are understated: " + "; ".join(not_valued) + ".")
        warnings = ("value for money: benefits not valued for lack of inputs: " + "; ".join(not_valued),)
    notes += _assumption_notes(v, config, base, valued)
    if config.scheme.synthetic:
        notes.append("Synthetic data: these figures illustrate the method and value no real scheme.")
    return StrandResult(NAME, MappingProxyType(headlines), MappingProxyType(dict(sorted(tables.items()))),
                        tuple(figures), notes=tuple(notes), warnings=warnings, screened=tuple(screened))


def _publishable_funders(costs: pl.DataFrame, style: str, screen: Screen) -> tuple[pl.DataFrame, list[Screened]]:
    """The costs with each funder as it may be published: a code ("Funder A" ..., alphabetical;
    ``[publication] funder_names = "codes"``) or its name after the free-text screen (withheld funders
    kept apart as "[withheld: ...] #1", #2 ...). Blank funders stay blank ("not recorded")."""
    if "funder" not in costs.columns:
        return costs, []
    values = costs["funder"].cast(pl.String)
    if style == "codes":
        mapping: dict = codes(values.to_list(), "Funder")
        listed: tuple = ()
    else:
        rows: dict[str, list[int]] = {}
        if "__row" in costs.columns:
            for f, r in costs.select(pl.col("funder").cast(pl.String), "__row").iter_rows():
                rows.setdefault(f, []).append(r)
        mapping, listed = screen.labels(values.to_list(), Source("costs", "funder"), rows=rows, distinct=True)
    published = values.replace_strict(mapping, default=None, return_dtype=pl.String) if mapping else values
    return costs.with_columns(published.alias("funder")), list(listed)


def _trim(values: np.ndarray) -> np.ndarray:
    """``values`` without trailing zeros."""
    nonzero = np.flatnonzero(values)
    return values[:nonzero[-1] + 1] if nonzero.size else values[:1]


def _plot(name: str):
    def plot(data, *, synthetic=False):
        from ij_eval.plots import value_for_money as plots

        return getattr(plots, name)(data, synthetic=synthetic)

    return plot


def _discount_parameter(v: ValueForMoneyConfig) -> Parameter:
    return Parameter("discount_rate", "Discount rate (social time preference rate)", v.discount_rate, "rate",
                     source=STPR_SOURCE if v.discount_rate == 0.035 else "set in the evaluation config",
                     grade="VERIFIED" if v.discount_rate == 0.035 else "CONFIG", used_by="all")


BENEFIT_COLUMNS = {"benefit": pl.String, "label": pl.String, "status": pl.String, "quantity": pl.Float64,
                   "quantity_unit": pl.String, "real_gbp": pl.Float64, "present_value_gbp": pl.Float64,
                   "share": pl.Float64, "note": pl.String}
QUANTITIES = {"reoffending": "reoffences avoided", "officer_time": "officer hours saved",
              "criminal_justice": "charged cases avoided", "reparative_work": "hours of reparative work",
              "asb_hotspots": "ASB incidents avoided (net)"}


def _benefits_table(result, statuses: dict[str, str], appraisal: Appraisal, values: dict[str, float]
                    ) -> pl.DataFrame:
    a = appraisal.activity
    total = float(result.pv_total_benefits)
    quantity = {
        "reoffending": lambda: float(result.reoffences_avoided),
        "officer_time": lambda: float(a.out_of_court.sum() * values["case_file_hours"]),
        "criminal_justice": lambda: float(a.out_of_court.sum() * values["charge_replaced_share"]),
        "reparative_work": lambda: float(a.hours.sum()),
        "asb_hotspots": lambda: float(result.benefits["asb_hotspots"].sum() / values["asb_cost_per_incident"])
        if values.get("asb_cost_per_incident") else None,
    }
    rows = []
    for benefit, label in BENEFIT_LABELS.items():
        status = statuses[benefit]
        row = {"benefit": benefit, "label": label, "quantity_unit": QUANTITIES[benefit]}
        if status == "valued":
            pv = float(result.pv_benefits[benefit])
            row.update(status="valued", quantity=quantity[benefit](), real_gbp=float(result.benefits[benefit].sum()),
                       present_value_gbp=pv, share=pv / total if total else None, note="")
        else:
            row.update(status="switched off" if status.startswith("switched off") else "not valued", note=status)
        rows.append(row)
    return pl.DataFrame(rows, schema=BENEFIT_COLUMNS)


def _cashflows(result, labels: list[str], factors: np.ndarray) -> pl.DataFrame:
    benefits = {f"{b}_gbp": np.asarray(s, dtype=float) for b, s in result.benefits.items()}
    total = sum(benefits.values(), np.zeros(len(labels)))
    net = total - result.costs
    return pl.DataFrame({"year": np.arange(len(labels)), "label": labels, "costs_gbp": result.costs, **benefits,
                         "benefits_gbp": total, "net_gbp": net, "discount_factor": factors,
                         "pv_net_gbp": net * factors})


def _headlines(v: ValueForMoneyConfig, mc, result, npv: float, bcr: float, pv_costs: float, pv_benefits: float,
               cost_table: pl.DataFrame, per_unit_table: pl.DataFrame, parameters: dict[str, Parameter],
               break_even: float | None
               ) -> dict[str, Headline]:
    prices = f"£ at {v.price_year} prices, discounted at {v.discount_rate:.1%} to year 0"
    draws = f"{v.monte_carlo_draws:,} Monte Carlo draws (seed in vfm_monte_carlo)"
    npv_low, npv_high = mc.interval("npv")
    bcr_low, bcr_high = mc.interval("bcr")
    out = {
        "npv": Headline(npv, f"net present value; 95% interval from {draws}", ci_lower=npv_low, ci_upper=npv_high,
                        unit="£", caveat=prices),
        "bcr": Headline(bcr, f"benefit-cost ratio; 95% interval from {draws}", ci_lower=bcr_low, ci_upper=bcr_high,
                        unit="ratio"),
        "pv_costs": Headline(pv_costs, "present value of costs, with any optimism-bias uplift", unit="£",
                             caveat=prices),
        "pv_benefits": Headline(pv_benefits, "present value of the benefits valued", unit="£", caveat=prices),
        "probability_bcr_above_1": Headline(mc.probability_bcr_above_1, f"share of {draws} in which benefits exceed "
                                            "costs", unit="proportion"),
    }
    per_unit = {item: (value, n) for item, value, n in per_unit_table.select("item", "real_gbp", "n").iter_rows()}
    total = cost_table.filter(pl.col("breakdown") == "total").row(0, named=True)
    out["total_cost"] = Headline(total["cash_gbp"], "total cost as recorded in the costs table (cash and in kind)",
                                 unit="£")
    for key, item in (("cost_per_referral", "per referral"), ("cost_per_completion", "per completion"),
                      ("cost_per_hour", "per hour of reparative work")):
        value, n = per_unit.get(item, (None, None))
        out[key] = Headline(value, f"outturn cost {item}, {v.price_year} prices", unit="£", n=n,
                            source=TableCell("vfm_cost_per_unit", (("item", item),), "real_gbp"))
    if "reoffending_effect" in parameters:
        effect = parameters["reoffending_effect"]
        out["reoffending_effect"] = Headline(effect.value, "reduction in the reoffending rate valued (proportion "
                                             "points); 95% interval", ci_lower=effect.low, ci_upper=effect.high,
                                             unit="proportion", caveat=effect.source)
        low, high = mc.interval("reoffences_avoided")
        avoided = float(result.reoffences_avoided)
        out["reoffences_avoided"] = Headline(avoided, f"reoffences avoided; 95% interval from {draws}",
                                             ci_lower=low, ci_upper=high, unit="reoffences")
        out["cost_per_reoffence_avoided"] = Headline(pv_costs / avoided if avoided > 0 else None,
                                                     "present value of costs per reoffence avoided", unit="£",
                                                     caveat="" if avoided > 0 else "no reoffences avoided")
        out["break_even_effect"] = Headline(
            break_even, "reduction in the reoffending rate at which benefits equal costs (proportion points), other "
            "parameters at their central values", unit="proportion",
            caveat="the other benefits cover the costs on their own" if break_even is not None and break_even <= 0
            else "")
    return out


def _assumption_notes(v: ValueForMoneyConfig, config: EvaluationConfig, base: dt.date, valued: tuple[str, ...]
                      ) -> list[str]:
    notes = [f"Money is in pounds at {v.price_year} prices (HM Treasury GDP deflators), discounted at "
             f"{v.discount_rate:.1%} a year to year 0, the 12 months from {base.isoformat()}."]
    notes.append(f"The Monte Carlo analysis draws every uncertain input {v.monte_carlo_draws:,} times (seed "
                 f"{config.run.seed}): estimates from this evaluation from a normal distribution with the standard "
                 "error their 95% interval implies, other ranges from a triangular distribution peaking at the "
                 "central value.")
    if "reoffending" in valued:
        notes.append(f"Each person's effect on reoffending is counted for {v.effect_years} year(s) from their "
                     f"referral, in the year they were referred; unit costs of crime count all crimes, so valuing "
                     "proven reoffences with them, without the Home Office's multiplier for unrecorded crime, errs "
                     "low.")
    if "asb_hotspots" in valued:
        notes.append("The fall in hotspot ASB is counted for the months the hotspot strand measured after each "
                     "hotspot's start, and no longer; a fall in the buffer areas (diffusion of benefit) is "
                     + ("counted." if v.count_diffusion else "not counted ([value_for_money] count_diffusion)."))
    return notes
