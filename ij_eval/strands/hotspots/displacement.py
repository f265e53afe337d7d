"""Spatial displacement and diffusion of benefit around the hotspots.

Two standard measures, computed from counts of incidents before and after the intervention in a
response area R (the hotspot), a buffer (catchment) area D around it and a comparison area C
(``b`` = before, ``a`` = after):

**Weighted displacement quotient** (Bowers & Johnson 2003; Guerette 2009, POP Center
Problem-Solving Tool Guide No. 10, Appendix B) -- :func:`wdq`:

- success measure = Ra/Ca - Rb/Cb (negative = the hotspot improved relative to the comparison);
- buffer measure = Da/Ca - Db/Cb (positive = possible displacement, negative = possible diffusion);
- WDQ = buffer measure / success measure, read only when the success measure is negative:
  WDQ > 1 diffusion of benefit larger than the direct effect; 0 to 1 diffusion of benefit;
  0 to -1 some displacement, smaller than the direct effect; below -1 displacement larger than
  the direct effect (the scheme made things worse overall);
- total net effect = [Rb*(Ca/Cb) - Ra] + [Db*(Ca/Cb) - Da], in incidents, **positive = incidents
  prevented** (fewer than the comparison area's change predicts).

**Weighted displacement difference test** (Wheeler & Ratcliffe 2018, Crime Science 7:11) --
:func:`wdd`: estimate = (Ra - Rb) - (Ca - Cb) + (Da - Db) - (DCa - DCb) with a separate control
area DC for the buffer, Poisson variance = the sum of the eight counts, a normal z test and 95%
interval. **Negative = fewer incidents** (the opposite sign to the total net effect).

How our areas map onto these designs (:func:`displacement_table`)
------------------------------------------------------------------
The areas table gives each hotspot one buffer (its ``parent_hotspot``); comparison areas are
shared by all hotspots and there is no separate displacement-control area. For each hotspot:

- R = the hotspot, D = its buffer (several buffers are summed), C = **all comparison areas
  summed**, over the same calendar months as the hotspot's before and after windows.
- WDQ uses these counts as they are (it only uses the ratios R/C and D/C).
- The WDD is **not** computed on raw counts here. Wheeler & Ratcliffe's test takes the control's
  change in counts as the hotspot's expected change, which only works when the control has about
  the hotspot's volume. The pooled comparison areas have many times the volume of one hotspot, so
  its raw change would swamp the hotspot's (with a 4% a year decline in ten comparison areas, the
  raw difference would credit or blame one hotspot for the whole pool's fall). Using the same
  pooled comparison as the displacement control (DC = C) doubles that problem and counts the
  comparison's variance twice as if it were independent. Instead each control is the comparison
  total **rescaled to the area's own before count**: control before = Rb, control after =
  Rb*Ca/Cb (and Db, Db*Ca/Cb for the buffer). The WDD then equals
  ``(Ra - Rb*Ca/Cb) + (Da - Db*Ca/Cb)`` = minus the WDQ total net effect, so the two measures agree
  on the number of incidents and the WDD adds its uncertainty. The variance is the Poisson
  delta-method variance of that expression (:func:`wdd_scaled`), which allows for the rescaling
  and for the hotspot and buffer sharing one comparison; with a control of the hotspot's size it
  is close to Wheeler & Ratcliffe's sum of counts.

Caveats. The variances assume Poisson counts; ASB counts are usually overdispersed, so the
standard errors are too small and the p-values too optimistic (treat them as a lower bound on the
uncertainty). The comparison areas stand in for what would have happened; if they differ from the
hotspots in trend or season, both measures are biased. Neither measure handles regression to the
mean (hotspots are chosen when ASB is high) -- see the interrupted time series and
difference-in-differences analyses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl
from scipy.stats import norm

from ij_eval.errors import IJEvalError

Z95 = float(norm.ppf(0.975))

SIGN_CONVENTION = ("total_net_effect: positive = incidents prevented (fewer than the comparison areas' change "
                   "predicts); WDD estimate: negative = fewer incidents (a reduction)")

#: Short names of the WDQ reading, by band.
WDQ_CATEGORIES = {
    "diffusion_exceeds": "Diffusion of benefit larger than the direct effect",
    "diffusion": "Diffusion of benefit",
    "none": "No displacement or diffusion",
    "displacement": "Some displacement, smaller than the direct effect",
    "displacement_exceeds": "Displacement larger than the direct effect",
    "undefined": "No direct effect: WDQ not meaningful",
}

_READINGS = {
    "diffusion_exceeds": "Diffusion of benefit larger than the direct effect (WDQ above 1): the buffer improved "
                         "relative to the comparison areas by more than the hotspot did.",
    "diffusion": "Diffusion of benefit (WDQ between 0 and 1): the buffer also improved relative to the "
                 "comparison areas, by less than the hotspot.",
    "none": "No sign of displacement or diffusion (WDQ 0): the buffer changed in step with the comparison areas.",
    "displacement": "Some displacement, smaller than the direct effect (WDQ between 0 and -1): the buffer got "
                    "worse relative to the comparison areas, but by less than the hotspot improved.",
    "displacement_exceeds": "Displacement larger than the direct effect (WDQ below -1): the buffer got worse by "
                            "more than the hotspot improved.",
    "undefined": "WDQ not meaningful: the hotspot did not improve relative to the comparison areas, so there "
                 "is no direct effect to be displaced or diffused.",
}

TABLE_COLUMNS = ("area_id", "buffer_id", "rb", "ra", "db", "da", "cb", "ca", "success_measure", "buffer_measure",
                 "wdq", "total_net_effect", "wdd_estimate", "wdd_std_error", "wdd_ci_lower", "wdd_ci_upper",
                 "wdd_p_value", "reading", "wdq_category", "hotspot_relative_change", "buffer_relative_change",
                 "wdd_z", "wdd_local_estimate", "wdd_local_std_error", "wdd_displacement_estimate",
                 "wdd_displacement_std_error", "months_before", "months_after", "note")

_REQUIRED = ("area_id", "role", "parent_hotspot", "period", "count", "intervention_start")


# --------------------------------------------------------------------------------------------
# Weighted displacement quotient
# --------------------------------------------------------------------------------------------

def _check_counts(**counts: float | None) -> None:
    for name, value in counts.items():
        if value is None or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative count, not {value!r}")


def wdq_category(value: float | None) -> str:
    """The band of the standard reading a WDQ value falls in (a key of :data:`WDQ_CATEGORIES`)."""
    if value is None or not math.isfinite(value):
        return "undefined"
    if value > 1:
        return "diffusion_exceeds"
    if value > 0:
        return "diffusion"
    if value == 0:
        return "none"
    if value >= -1:
        return "displacement"
    return "displacement_exceeds"


def wdq(rb: float, ra: float, db: float, da: float, cb: float, ca: float, *, tolerance: float = 1e-9) -> dict:
    """Weighted displacement quotient and its components (Bowers & Johnson 2003).

    Counts of incidents: response (hotspot) area ``rb``/``ra``, buffer ``db``/``da``, comparison
    ``cb``/``ca``, before/after. Returns ``success_measure`` (Ra/Ca - Rb/Cb), ``buffer_measure``
    (Da/Ca - Db/Cb), ``wdq`` (buffer / success; ``None`` when the success measure is 0, positive or
    within ``tolerance`` of 0 relative to Rb/Cb -- the quotient only means something when the
    hotspot improved), ``total_net_effect`` (incidents, positive = prevented) split into
    ``local_net_effect`` and ``buffer_net_effect``, the relative changes (Ra/Ca)/(Rb/Cb) - 1 and
    (Da/Ca)/(Db/Cb) - 1, ``category`` and ``reading`` (the standard reading in words), ``note``
    and ``sign_convention``.
    """
    _check_counts(rb=rb, ra=ra, db=db, da=da, cb=cb, ca=ca)
    out: dict = {"success_measure": None, "buffer_measure": None, "wdq": None, "total_net_effect": None,
                 "local_net_effect": None, "buffer_net_effect": None, "hotspot_relative_change": None,
                 "buffer_relative_change": None, "category": "undefined", "reading": _READINGS["undefined"],
                 "note": "", "sign_convention": SIGN_CONVENTION}
    if cb <= 0 or ca <= 0:
        out["reading"] = "WDQ not computed: the comparison areas recorded no incidents in a window."
        out["note"] = "comparison count is zero before or after; the ratios to the comparison are undefined"
        return out
    success = ra / ca - rb / cb
    buffer = da / ca - db / cb
    local_net = rb * (ca / cb) - ra
    buffer_net = db * (ca / cb) - da
    out.update(success_measure=success, buffer_measure=buffer, local_net_effect=local_net,
               buffer_net_effect=buffer_net, total_net_effect=local_net + buffer_net,
               hotspot_relative_change=(ra / ca) / (rb / cb) - 1 if rb > 0 else None,
               buffer_relative_change=(da / ca) / (db / cb) - 1 if db > 0 else None)
    if success >= 0 or abs(success) <= tolerance * max(rb / cb, 1e-300):
        out["note"] = ("the hotspot did not improve relative to the comparison areas (success measure "
                       f"{success:+.4g}); WDQ is only meaningful when the success measure is negative")
        return out
    value = buffer / success
    category = wdq_category(value)
    out.update(wdq=value, category=category, reading=_READINGS[category])
    if abs(success) < 0.05 * (rb / cb):
        out["note"] = ("the hotspot improved by less than 5% relative to the comparison areas; the WDQ divides "
                       "by this small change and is unstable")
        out["reading"] += (" But the hotspot improved by under 5% relative to the comparison areas, so this WDQ "
                           "divides by almost nothing and is unstable.")
    return out


# --------------------------------------------------------------------------------------------
# Weighted displacement difference
# --------------------------------------------------------------------------------------------

def _test(estimate: float, variance: float) -> dict:
    se = math.sqrt(variance)
    if se > 0:
        z = estimate / se
        p = float(2 * norm.sf(abs(z)))
    else:
        z = p = None
    return {"estimate": estimate, "variance": variance, "std_error": se, "z": z, "p_value": p,
            "ci_lower": estimate - Z95 * se, "ci_upper": estimate + Z95 * se}


def _assemble(total: dict, local: dict, displacement: dict, method: str) -> dict:
    out = dict(total)
    for prefix, part in (("local", local), ("displacement", displacement)):
        for key in ("estimate", "std_error", "z", "p_value", "ci_lower", "ci_upper"):
            out[f"{prefix}_{key}"] = part[key]
    out["method"] = method
    out["sign_convention"] = "negative = fewer incidents than the control's change predicts (a reduction)"
    return out


def wdd(rb: float, ra: float, db: float, da: float, cb: float, ca: float, dcb: float, dca: float) -> dict:
    """Wheeler & Ratcliffe's (2018) weighted displacement difference test, on raw counts.

    Treated (hotspot) ``rb``/``ra``, displacement (buffer) ``db``/``da``, control ``cb``/``ca``
    and displacement-control ``dcb``/``dca``, before/after. estimate = (Ra - Rb) - (Ca - Cb) +
    (Da - Db) - (DCa - DCb); variance = the sum of the eight counts (independent Poisson counts);
    two-sided p from the normal z; 95% CI estimate +/- 1.96 SE. Also the local part
    (Ra - Rb) - (Ca - Cb) and the displacement part (Da - Db) - (DCa - DCb), each with its own
    SE, z, p and CI (``local_*``, ``displacement_*``). Negative = fewer incidents.

    The controls must have about the same volume as the areas they control for (see the module
    docstring); :func:`displacement_table` uses :func:`wdd_scaled` for that reason.
    """
    _check_counts(rb=rb, ra=ra, db=db, da=da, cb=cb, ca=ca, dcb=dcb, dca=dca)
    local = _test((ra - rb) - (ca - cb), ra + rb + ca + cb)
    displacement = _test((da - db) - (dca - dcb), da + db + dca + dcb)
    total = _test(local["estimate"] + displacement["estimate"], local["variance"] + displacement["variance"])
    return _assemble(total, local, displacement, "weighted displacement difference, raw counts "
                                                  "(Wheeler & Ratcliffe 2018)")


def _scaled_part(before: float, after: float, cb: float, ca: float) -> tuple[float, float, float, float]:
    """``after - before*ca/cb``, the Poisson variance of the area's own counts, and the gradient in cb, ca."""
    ratio = ca / cb
    k = before / cb
    return after - before * ratio, after + ratio ** 2 * before, k * ratio, -k


def wdd_scaled(rb: float, ra: float, db: float, da: float, cb: float, ca: float) -> dict:
    """Weighted displacement difference with one shared comparison rescaled to each area's volume.

    The control for the hotspot is the comparison count scaled to the hotspot's before count
    (before Rb, after Rb*Ca/Cb); the buffer's displacement control is the same comparison scaled
    to Db. Hence estimate = (Ra - Rb*Ca/Cb) + (Da - Db*Ca/Cb) (= minus the WDQ total net effect),
    local part Ra - Rb*Ca/Cb, displacement part Da - Db*Ca/Cb. Variances are Poisson
    delta-method variances, e.g. for the total
    ``Ra + Da + (Ca/Cb)^2 (Rb + Db) + ((Rb + Db)/Cb)^2 Ca + ((Rb + Db) Ca/Cb^2)^2 Cb`` -- the
    comparison is counted once, not once per control. Keys as :func:`wdd`. Needs Cb > 0.
    """
    _check_counts(rb=rb, ra=ra, db=db, da=da, cb=cb, ca=ca)
    if cb <= 0:
        raise ValueError("the comparison's before count must be positive to rescale it")
    parts = []
    for before, after in ((rb, ra), (db, da)):
        est, own_var, grad_b, grad_a = _scaled_part(before, after, cb, ca)
        parts.append((est, own_var, grad_b, grad_a))

    def combine(chosen: Sequence[tuple[float, float, float, float]]) -> dict:
        grad_b = sum(p[2] for p in chosen)
        grad_a = sum(p[3] for p in chosen)
        variance = sum(p[1] for p in chosen) + grad_b ** 2 * cb + grad_a ** 2 * ca
        return _test(sum(p[0] for p in chosen), variance)

    return _assemble(combine(parts), combine(parts[:1]), combine(parts[1:]),
                     "weighted displacement difference with the pooled comparison rescaled to each area's "
                     "before count (Poisson delta-method variance)")


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

def _month(column: str) -> pl.Expr:
    date = pl.col(column).cast(pl.Date)
    return date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1


def _label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _incidents(x: float) -> str:
    n = round(abs(x))
    if n == 0:
        return "no fewer and no more"
    return f"{n:,} {'fewer' if x > 0 else 'more'}"


def _reading(measures: dict, test: dict | None, period: str, has_buffer: bool) -> str:
    text = measures["reading"] if has_buffer else "No buffer area: displacement cannot be assessed."
    if test is None or measures["total_net_effect"] is None:
        return text
    prevented = measures["total_net_effect"]
    where = "hotspot and buffer together" if has_buffer else "hotspot"
    low, high = -test["ci_upper"], -test["ci_lower"]  # in incidents prevented
    span = f"{_incidents(low)} to {_incidents(high)}"
    p = test["p_value"]
    p_text = "" if p is None else f"; p = {p:.3f}" if p >= 0.001 else "; p < 0.001"
    return (f"{text} Net effect, {where}: about {_incidents(prevented)} ASB incidents over {period} "
            f"than the comparison areas' change predicts (95% CI {span}{p_text}).")


def _validate(panel: pl.DataFrame, before: int, after: int) -> None:
    missing = [c for c in _REQUIRED if c not in panel.columns]
    if missing:
        raise IJEvalError(f"displacement: the hotspot panel has no column {', '.join(missing)}")
    for name, value in (("before", before), ("after", after)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise IJEvalError(f"displacement: '{name}' must be a whole number of months, at least 1 (got {value!r})")
    for column in ("period", "intervention_start"):
        dtype = panel.schema[column]
        if not (dtype == pl.Date or isinstance(dtype, pl.Datetime) or dtype == pl.Null):
            raise IJEvalError(f"displacement: panel column '{column}' must be a date (got {panel.schema[column]})")


def _window_sum(series: dict[int, int], months: range) -> tuple[int, int]:
    """Sum over the months, and how many of them have no count."""
    present = [series[m] for m in months if m in series]
    return sum(present), len(months) - len(present)


def displacement_table(panel: pl.DataFrame, *, before: int = 12, after: int = 12) -> pl.DataFrame:
    """WDQ and WDD for each hotspot with its buffer against all comparison areas, plus a total row.

    Windows: the ``before`` months up to the month before the hotspot's intervention start, and
    the ``after`` months from the start month (the same calendar months for the comparison
    total). Where the panel does not cover a whole window, the months it has are used and
    ``months_before``/``months_after`` and ``note`` say so; months without a count inside a window
    are noted too. A weekly panel is summed into calendar months (each week in the month it
    starts in). A hotspot without a start, or with no panel months before or after it, gets a
    row of nulls with a note and is left out of the total. Several buffers around one hotspot are
    summed (``buffer_id`` lists them, joined with "+").

    Columns: :data:`TABLE_COLUMNS` (``area_id`` is the hotspot; ``total_net_effect`` positive =
    incidents prevented; ``wdd_*`` from :func:`wdd_scaled`, negative = fewer incidents; see the
    module docstring for how the pooled comparison is used). The last row, ``area_id`` "total",
    sums rb..ca and the net effect and WDD estimates over the hotspots; its success and buffer
    measures and WDQ are those of the summed counts (a stacked comparison, each hotspot with its
    own windows), and its WDD variance is the delta-method variance of the summed estimates with
    the shared comparison months counted once.
    """
    _validate(panel, before, after)
    data = panel.select(
        pl.col("area_id").cast(pl.String), pl.col("role").cast(pl.String),
        pl.col("parent_hotspot").cast(pl.String), m=_month("period"),
        count=pl.col("count").cast(pl.Int64), start=_month("intervention_start"),
    ).filter(pl.col("m").is_not_null())
    if data.is_empty():
        return pl.DataFrame(schema=_schema())
    first, last = int(data["m"].min()), int(data["m"].max())
    # Weekly panels are summed into calendar months (a week counts in the month it starts in).
    counted = (data.filter(pl.col("count").is_not_null()).group_by("area_id", "role", "m")
               .agg(pl.col("count").sum()))
    series: dict[str, dict[int, int]] = {}
    for (area,), part in counted.group_by("area_id"):
        series[area] = dict(zip(part["m"].to_list(), part["count"].to_list(), strict=True))
    comparison_areas = sorted(data.filter(pl.col("role") == "comparison")["area_id"].unique().to_list())
    comp = (counted.filter(pl.col("role") == "comparison").group_by("m")
            .agg(c=pl.col("count").sum(), n=pl.col("area_id").n_unique()))
    comp_total = dict(zip(comp["m"].to_list(), comp["c"].to_list(), strict=True))
    comp_n = dict(zip(comp["m"].to_list(), comp["n"].to_list(), strict=True))

    hotspots = sorted(data.filter(pl.col("role") == "hotspot")["area_id"].unique().to_list())
    buffers = (data.filter(pl.col("role") == "buffer").select("area_id", "parent_hotspot").unique()
               .group_by("parent_hotspot").agg(pl.col("area_id").sort()))
    buffers_of = dict(zip(buffers["parent_hotspot"].to_list(), buffers["area_id"].to_list(), strict=True))

    rows: list[dict] = []
    used: list[dict] = []  # per-hotspot pieces for the total row
    for hotspot in hotspots:
        starts = data.filter((pl.col("area_id") == hotspot) & pl.col("start").is_not_null())["start"].unique()
        if starts.len() > 1:
            raise IJEvalError(f"displacement: hotspot {hotspot} has more than one intervention start in the panel")
        own_buffers = buffers_of.get(hotspot, [])
        row = {"area_id": hotspot, "buffer_id": "+".join(own_buffers) or None}
        if starts.len() == 0:
            rows.append(row | {"note": "no intervention start; not analysed"})
            continue
        start = int(starts[0])
        b_months = range(max(start - before, first), min(start - 1, last) + 1)
        a_months = range(max(start, first), min(start + after - 1, last) + 1)
        notes = []
        if len(b_months) < before:
            notes.append(f"only {len(b_months)} of {before} months before the start ({_label(start)}) are in the panel")
        if len(a_months) < after:
            notes.append(f"only {len(a_months)} of {after} months from the start ({_label(start)}) are in the panel")
        row |= {"months_before": len(b_months), "months_after": len(a_months)}
        if not b_months or not a_months:
            rows.append(row | {"note": "; ".join(notes + ["not analysed"])})
            continue
        rb, gap_rb = _window_sum(series.get(hotspot, {}), b_months)
        ra, gap_ra = _window_sum(series.get(hotspot, {}), a_months)
        db = da = gap_db = gap_da = 0
        for buffer in own_buffers:
            s, g = _window_sum(series.get(buffer, {}), b_months)
            db, gap_db = db + s, gap_db + g
            s, g = _window_sum(series.get(buffer, {}), a_months)
            da, gap_da = da + s, gap_da + g
        cb = sum(comp_total.get(m, 0) for m in b_months)
        ca = sum(comp_total.get(m, 0) for m in a_months)
        for what, gaps in (("hotspot", gap_rb + gap_ra), ("buffer", gap_db + gap_da)):
            if gaps:
                notes.append(f"{gaps} {what} area-month(s) in the windows have no count")
        comp_gaps = sum(len(comparison_areas) - comp_n.get(m, 0) for m in (*b_months, *a_months))
        if comp_gaps:
            notes.append(f"{comp_gaps} comparison area-month(s) in the windows have no count")
        if not comparison_areas:
            notes.append("no comparison areas")
        has_buffer = bool(own_buffers)
        if not has_buffer:
            notes.append("no buffer area")
        row |= {"rb": rb, "ra": ra, "db": db if has_buffer else None, "da": da if has_buffer else None,
                "cb": cb, "ca": ca}
        measures = wdq(rb, ra, db, da, cb, ca)
        if measures["note"]:
            notes.append(measures["note"])
        if not has_buffer:
            measures |= {"buffer_measure": None, "wdq": None, "category": "undefined",
                         "buffer_relative_change": None,
                         "total_net_effect": measures["local_net_effect"]}
        usable = cb > 0 and ca > 0  # the comparison must have incidents in both windows
        test = wdd_scaled(rb, ra, db, da, cb, ca) if usable else None
        if test is not None and not has_buffer:
            test = test | {k.removeprefix("local_"): v for k, v in test.items() if k.startswith("local_")}
            test |= {"displacement_estimate": None, "displacement_std_error": None}
        row |= _measure_columns(measures) | _test_columns(test)
        row["reading"] = _reading(measures, test, f"the {len(a_months)} months from the start", has_buffer)
        row["note"] = "; ".join(notes)
        rows.append(row)
        if usable:
            used.append({"rb": rb, "ra": ra, "db": db, "da": da, "cb": cb, "ca": ca, "b": b_months, "a": a_months,
                         "has_buffer": has_buffer, "months_before": len(b_months), "months_after": len(a_months)})
    if used:
        rows.append(_total_row(used, comp_total))
    return pl.DataFrame(rows, schema=_schema()).select(TABLE_COLUMNS)


def _measure_columns(measures: dict) -> dict:
    return {"success_measure": measures["success_measure"], "buffer_measure": measures["buffer_measure"],
            "wdq": measures["wdq"], "total_net_effect": measures["total_net_effect"],
            "wdq_category": WDQ_CATEGORIES[measures["category"]],
            "hotspot_relative_change": measures["hotspot_relative_change"],
            "buffer_relative_change": measures["buffer_relative_change"]}


def _test_columns(test: dict | None) -> dict:
    if test is None:
        return {}
    return {"wdd_estimate": test["estimate"], "wdd_std_error": test["std_error"], "wdd_ci_lower": test["ci_lower"],
            "wdd_ci_upper": test["ci_upper"], "wdd_p_value": test["p_value"], "wdd_z": test["z"],
            "wdd_local_estimate": test["local_estimate"], "wdd_local_std_error": test["local_std_error"],
            "wdd_displacement_estimate": test["displacement_estimate"],
            "wdd_displacement_std_error": test["displacement_std_error"]}


def _total_row(used: list[dict], comp_total: dict[int, int]) -> dict:
    """Sums over hotspots; the WDD variance counts each comparison month once (delta method)."""
    sums = {k: sum(u[k] for u in used) for k in ("rb", "ra", "db", "da", "cb", "ca")}
    all_buffers = all(u["has_buffer"] for u in used)

    def summed_test(which: tuple[str, ...]) -> dict:
        estimate = own_var = 0.0
        gradient: dict[int, float] = {}
        for u in used:
            before = sum(u[f"{w}b"] for w in which)
            after_count = sum(u[f"{w}a"] for w in which)
            est, var, grad_b, grad_a = _scaled_part(before, after_count, u["cb"], u["ca"])
            estimate += est
            own_var += var
            for m in u["b"]:
                gradient[m] = gradient.get(m, 0.0) + grad_b
            for m in u["a"]:
                gradient[m] = gradient.get(m, 0.0) + grad_a
        variance = own_var + sum(g ** 2 * comp_total.get(m, 0) for m, g in gradient.items())
        return _test(estimate, variance)

    local = summed_test(("r",))
    displacement = summed_test(("d",))
    total = summed_test(("r", "d"))
    test = _assemble(total, local, displacement, "")
    measures = wdq(**sums)
    net = sum(wdq(u["rb"], u["ra"], u["db"], u["da"], u["cb"], u["ca"])["total_net_effect"] for u in used)
    measures["total_net_effect"] = net
    months = sorted({u["months_after"] for u in used})
    months_before = sorted({u["months_before"] for u in used})
    notes = [f"sum over {len(used)} hotspots, each with its own before and after windows; success and buffer "
             "measures and WDQ from the summed counts; net effect and WDD summed over hotspots"]
    if not all_buffers:
        notes.append("some hotspots have no buffer")
    notes.append("WDD standard errors assume Poisson counts; overdispersed ASB counts make them too small")
    if measures["note"]:
        notes.append(measures["note"])
    row = {"area_id": "total", "buffer_id": None, **sums, **_measure_columns(measures), **_test_columns(test),
           "months_before": months_before[0] if len(months_before) == 1 else None,
           "months_after": months[0] if len(months) == 1 else None,
           "note": "; ".join(notes)}
    period = f"the {months[0]} months from each start" if len(months) == 1 else "each hotspot's months from its start"
    row["reading"] = _reading(measures, test, period, True)
    return row


def _schema() -> dict:
    floats = ("success_measure", "buffer_measure", "wdq", "total_net_effect", "wdd_estimate", "wdd_std_error",
              "wdd_ci_lower", "wdd_ci_upper", "wdd_p_value", "hotspot_relative_change", "buffer_relative_change",
              "wdd_z", "wdd_local_estimate", "wdd_local_std_error", "wdd_displacement_estimate",
              "wdd_displacement_std_error")
    ints = ("rb", "ra", "db", "da", "cb", "ca", "months_before", "months_after")
    schema = {}
    for column in TABLE_COLUMNS:
        schema[column] = pl.Float64 if column in floats else pl.Int64 if column in ints else pl.String
    return schema
