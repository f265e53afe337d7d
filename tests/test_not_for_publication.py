"""A store with a disclosure threshold below 10 is not for publication: the notice, the banners, the figures."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np

from ij_eval.config import config_from_dict
from ij_eval.plots.style import LABEL_BAND, label_not_for_publication, label_synthetic
from ij_eval.report.markdown import banner
from ij_eval.report.outline import ABSENT_FIGURE, _absent_figures
from ij_eval.report.render import Document, landing_page
from ij_eval.report.store import ResultsStore
from ij_eval.vfm.model import _shift
from ij_eval.vfm.uncertainty import MEMORY_BUDGET, bytes_per_draw, max_draws

NOTICE = "NOT FOR PUBLICATION — disclosure threshold 5, below 10"


def _store(tmp_path, **results) -> ResultsStore:
    (tmp_path / "results.json").write_text(json.dumps({"strands": {}, **results}), encoding="utf-8")
    return ResultsStore.open(tmp_path)


def test_the_notice_follows_the_threshold():
    low = config_from_dict({"disclosure": {"threshold": 5, "reason": "internal"}}).disclosure
    assert low.notice() == NOTICE and not low.for_publication
    assert config_from_dict({"disclosure": {"threshold": 10}}).disclosure.notice() == ""
    assert config_from_dict({"disclosure": {"threshold": 25}}).disclosure.for_publication


def test_every_chapter_banner_says_not_for_publication(tmp_path):
    store = _store(tmp_path, not_for_publication=True, not_for_publication_notice=NOTICE)
    assert store.not_for_publication == NOTICE
    text = banner(store)
    assert text.startswith("::: {.synthetic-banner .not-for-publication}\n**" + NOTICE + ".**")
    assert "it must not be published" in text
    both = banner(_store(tmp_path, synthetic=True, not_for_publication_notice=NOTICE))
    assert both.count(":::") == 4 and "SYNTHETIC DATA" in both and NOTICE in both
    assert banner(_store(tmp_path)) == ""


def test_the_top_banner_of_every_page():
    doc = Document("", None, {}, synthetic=False, not_for_publication=NOTICE)
    assert doc.top_banner == NOTICE
    assert Document("", None, {}, synthetic=True, not_for_publication=NOTICE).top_banner == (
        "SYNTHETIC DATA — NOT REAL RESULTS · " + NOTICE)
    assert Document("", None, {}, synthetic=False).top_banner == ""
    page = landing_page({"title": "T"}, False, {"report.html": "Report"}, not_for_publication=NOTICE)
    assert f'<p class="synthetic-top" role="note">{NOTICE}</p>' in page
    assert '<p class="synthetic-top"' not in landing_page({"title": "T"}, False, {"report.html": "Report"})


def test_a_figure_is_labelled_and_a_hand_laid_out_one_gets_room_for_it():
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    label_not_for_publication(fig, NOTICE)
    assert fig.get_suptitle() == NOTICE
    manual = plt.figure(figsize=(6, 3))
    axes = manual.add_axes([0, 0, 1, 1])
    label_not_for_publication(manual, NOTICE)
    assert tuple(manual.get_size_inches()) == (6, 3 + LABEL_BAND)
    assert np.isclose(axes.get_position().height * (3 + LABEL_BAND), 3)  # the axes keep their size
    synthetic, _ = plt.subplots(layout="constrained")
    label_synthetic(synthetic)
    label_not_for_publication(synthetic, NOTICE)
    assert synthetic.get_suptitle() == "SYNTHETIC DATA — NOT REAL RESULTS · NOT FOR PUBLICATION"
    unlabelled, _ = plt.subplots()
    label_not_for_publication(unlabelled, "")
    assert unlabelled.get_suptitle() == ""
    plt.close("all")


def test_references_to_figures_the_store_lacks_become_words(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a_b.png").write_bytes(b"png")
    (tmp_path / "figures.json").write_text(json.dumps({"a_b": {"file": "figures/a_b.png", "title": "t",
                                                                "alt_text": "a"}}), encoding="utf-8")
    store = _store(tmp_path)
    assert _absent_figures(store, "See @fig-a-b and @fig-c-d.") == f"See @fig-a-b and {ABSENT_FIGURE}."


def test_monte_carlo_memory_limit_comes_from_what_one_draw_costs():
    assert bytes_per_draw(15, 30, 5) == int(1.25 * 8 * (15 + 10 + 7 * 30))
    assert max_draws(15, 30, 5) == MEMORY_BUDGET // bytes_per_draw(15, 30, 5)
    assert max_draws(15, 1, 5) > 1_000_000 > max_draws(15, 100, 5)  # the config's cap binds for short appraisals


def test_an_effect_longer_than_the_appraisal_falls_beyond_it():
    assert list(_shift(np.array([1.0, 2.0]), 5)) == [0.0, 0.0]
    assert list(_shift(np.array([1.0, 2.0, 3.0]), 1)) == [0.0, 1.0, 2.0]
