"""The scheme's logic model: the [logic_model] config section, its figure, and the accessibility of figure text."""

from __future__ import annotations

import dataclasses
import json
import warnings

import matplotlib.pyplot as plt
import polars as pl
import pytest
from matplotlib.font_manager import findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import FancyBboxPatch

from ij_eval.config import LOGIC_MODEL_MAX_CHARS, EvaluationConfig, LogicModelConfig, config_from_dict, load_config
from ij_eval.io.store import save_figure
from ij_eval.pipeline import run_pipeline
from ij_eval.plots.logic_model import A4_TEXT_WIDTH, BOX_TINT, STAGE_COLOURS, plot_logic_model
from ij_eval.plots.style import (
    AA_CONTRAST,
    SYNTHETIC_LABEL,
    SYNTHETIC_LABEL_COLOUR,
    TEXT_COLOUR,
    contrast_ratio,
    label_synthetic,
    relative_luminance,
    tint,
)
from ij_eval.strands import overview
from ij_eval.synth import write_synthetic

COLUMNS = ("inputs", "activities", "outputs", "outcomes")


def _write(tmp_path, text: str):
    path = tmp_path / "evaluation.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- config ---------------------------------------------------------------------------------------------

def test_default_logic_model_describes_an_immediate_justice_scheme():
    model = EvaluationConfig().logic_model
    assert [name for name, _ in model.columns()] == list(COLUMNS)
    assert all(entries for _, entries in model.columns())
    assert "Home Office funding" in model.inputs and "Contact within 48 hours" in model.activities
    assert any("Outcome 22" in a for a in model.activities)
    assert "Hours of reparative work" in model.outputs and "Less reoffending" in model.outcomes
    assert all(len(e) <= LOGIC_MODEL_MAX_CHARS for _, entries in model.columns() for e in entries)
    assert EvaluationConfig().to_dict()["logic_model"]["outputs"] == list(model.outputs)


def test_toml_overrides_columns_and_round_trips(tmp_path):
    path = _write(tmp_path, '[logic_model]\ninputs = ["Council funding", "Two caseworkers"]\n'
                            'outcomes = ["Fewer repeat callers"]\n')
    config = load_config(path)
    assert config.logic_model.inputs == ("Council funding", "Two caseworkers")
    assert config.logic_model.outcomes == ("Fewer repeat callers",)
    assert config.logic_model.activities == LogicModelConfig().activities  # untouched columns keep defaults
    plain = config.to_dict()
    assert plain["logic_model"]["inputs"] == ["Council funding", "Two caseworkers"]
    again = config_from_dict({"logic_model": plain["logic_model"]}, source="round trip")
    assert again.logic_model == config.logic_model


def test_demo_config_and_synth_config_carry_the_default_logic_model(tmp_path):
    write_synthetic(tmp_path)
    assert load_config(tmp_path / "evaluation.toml").logic_model == LogicModelConfig()


def test_an_entry_of_exactly_the_limit_is_accepted():
    entry = "y" * LOGIC_MODEL_MAX_CHARS
    assert config_from_dict({"logic_model": {"inputs": [entry]}}).logic_model.inputs == (entry,)


# ---- the overview strand ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logic_model") / "data"
    write_synthetic(folder, seed=5)
    return folder


def test_overview_strand_draws_the_logic_model_with_full_alt_text(synthetic_dir, tmp_path):
    config = load_config(synthetic_dir / "evaluation.toml")
    custom = dataclasses.replace(config.logic_model, outputs=("Hours worked; sites improved", "Workshops"))
    config = dataclasses.replace(config, logic_model=custom)
    out = tmp_path / "results"
    run_pipeline(synthetic_dir, config, out, strands=(overview,))
    figures = json.loads((out / "figures.json").read_text())
    meta = figures["overview_logic_model"]
    assert meta["title"] == "The scheme's logic model" and meta["strand"] == "overview"
    assert (out / meta["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    alt = meta["alt_text"]
    positions = [alt.index(f"{name.capitalize()}: ") for name in COLUMNS]
    assert positions == sorted(positions)  # column by column, in reading order
    for _, entries in custom.columns():
        for entry in entries:
            assert entry in alt
    table = pl.read_csv(out / "tables" / "overview_logic_model.csv")
    assert table.columns == ["stage", "position", "entry"]
    assert table.filter(pl.col("stage") == "outputs")["entry"].to_list() == list(custom.outputs)


# ---- the figure ---------------------------------------------------------------------------------------------

def _model(n: int, words: str = "Reparative work in the community with a supervisor") -> dict[str, list[str]]:
    return {c: [f"{words} {c} {i}" for i in range(n)] for c in COLUMNS}


def _boxes_and_texts(fig) -> list[tuple[FancyBboxPatch, object]]:
    ax = fig.axes[0]
    boxes = {p.get_gid().removeprefix("logic_model_box/"): p for p in ax.patches
             if (p.get_gid() or "").startswith("logic_model_box/")}
    texts = {t.get_gid().removeprefix("logic_model_text/"): t for t in ax.texts
             if (t.get_gid() or "").startswith("logic_model_text/")}
    assert boxes.keys() == texts.keys() and boxes
    return [(boxes[k], texts[k]) for k in sorted(boxes)]


@pytest.mark.parametrize("data", [
    pytest.param(_model(1), id="one-entry"),
    pytest.param(_model(8), id="eight-entries"),
    pytest.param({c: ["x" * LOGIC_MODEL_MAX_CHARS, "Short"] for c in COLUMNS}, id="one-long-word"),
    pytest.param({c: ["word " * 16] for c in COLUMNS}, id="eighty-characters"),
])
def test_text_stays_inside_its_box(data):
    fig = plot_logic_model(data, synthetic=True)
    fig.set_dpi(150)  # measure at the resolution the store saves at
    renderer = fig.canvas.get_renderer()
    pairs = _boxes_and_texts(fig)
    assert len(pairs) == sum(len(v) for v in data.values()) + len(data)  # one box per entry, one per heading
    for box, text in pairs:
        inner, outer = text.get_window_extent(renderer), box.get_window_extent(renderer)
        assert outer.x0 < inner.x0 and inner.x1 < outer.x1, (text.get_text(), inner, outer)
        assert outer.y0 < inner.y0 and inner.y1 < outer.y1, (text.get_text(), inner, outer)
    boxes = [b.get_window_extent(renderer) for b, _ in pairs]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    width, height = fig.get_size_inches()
    assert width == pytest.approx(A4_TEXT_WIDTH) and height < 9.5  # fits the text block of an A4 page
    plt.close(fig)


def test_every_entry_appears_in_the_figure_in_order():
    data = {"inputs": ["Funding"], "outcomes": ["Less ASB"], "activities": ["Workshops", "Reparation"],
            "outputs": ["Hours of work"]}
    fig = plot_logic_model(pl.DataFrame([(s, i, e) for s, es in data.items() for i, e in enumerate(es)],
                                        schema=["stage", "position", "entry"], orient="row"))
    texts = {t.get_gid(): t for t in fig.axes[0].texts}
    assert texts["logic_model_text/activities/1"].get_text() == "Reparation"
    headings = [texts[f"logic_model_text/{c}/heading"] for c in COLUMNS]
    assert [h.get_text() for h in headings] == ["Inputs", "Activities", "Outputs", "Outcomes"]
    assert [h.get_position()[0] for h in headings] == sorted(h.get_position()[0] for h in headings)
    assert fig._suptitle is None  # not synthetic: no label
    plt.close(fig)


def test_box_text_has_aa_contrast_on_every_fill():
    fig = plot_logic_model(_model(2), synthetic=True)
    for box, text in _boxes_and_texts(fig):
        assert contrast_ratio(text.get_color(), box.get_facecolor()[:3]) >= AA_CONTRAST, box.get_gid()
    plt.close(fig)
    for colour in STAGE_COLOURS:  # headings are filled with the colour itself, entries with a tint
        assert contrast_ratio(TEXT_COLOUR, colour) >= AA_CONTRAST
        assert contrast_ratio(TEXT_COLOUR, tint(colour, BOX_TINT)) >= AA_CONTRAST


def test_png_is_deterministic(tmp_path):
    for name in ("a.png", "b.png"):
        save_figure(plot_logic_model(_model(3), synthetic=True), tmp_path / name)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_empty_column_cannot_be_drawn():
    with pytest.raises(ValueError, match="at least one entry"):
        plot_logic_model({"inputs": ["Funding"], "outputs": []})


# ---- the synthetic label and colour contrast --------------------------------------------------------------------

def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#FFFFFF", "#000") == pytest.approx(21)
    assert contrast_ratio("#D55E00", "#D55E00") == pytest.approx(1)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white
    assert contrast_ratio("#D55E00", "#FFFFFF") < AA_CONTRAST  # why the label is darker
    assert contrast_ratio((1.0, 1.0, 1.0), "#777777") == pytest.approx(4.48, abs=0.01)
    assert relative_luminance("#FFFFFF") == pytest.approx(1) and relative_luminance((0, 0, 0)) == 0
    with pytest.raises(ValueError):
        contrast_ratio("red", "#FFFFFF")


def test_synthetic_label_wording_colour_and_glyphs():
    assert SYNTHETIC_LABEL == "SYNTHETIC DATA — NOT REAL RESULTS"
    assert contrast_ratio(SYNTHETIC_LABEL_COLOUR, "#FFFFFF") >= AA_CONTRAST
    fig = plt.figure()
    label_synthetic(fig)
    label = fig._suptitle
    assert label.get_text() == SYNTHETIC_LABEL and contrast_ratio(label.get_color(), "#FFFFFF") >= AA_CONTRAST
    font = FT2Font(findfont(label.get_fontproperties(), fallback_to_default=False))
    assert all(font.get_char_index(ord(c)) for c in SYNTHETIC_LABEL if c != " ")  # the em dash included
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would fail here
        fig.canvas.draw()
    plt.close(fig)
