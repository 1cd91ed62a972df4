"""An interactive explorer of a scenario's rules (ipywidgets): move the sliders, watch the ranking and the money.

The explorer's controls are attributes, so code (and tests) can set them exactly as a reader would::

    from simkit.present.widgets import Explorer
    ex = Explorer()                          # the 2018 reform on the bundled (synthetic) data
    ex.weight_sliders["Q"].value = 40        # 高质量发展 from 50 to 40 points
    ex.table_frame()                         # the ranking now shown
    ex                                       # in a notebook: the whole view (same as ex.compose())

The scenario is a shipped scenario's name, a scenario file or a ``Scenario``; ``add_scenario`` puts more in the
picker (the dashboard adds the files given to it and the ones saved from the page), ``set_data`` opens other
data.  Callbacks only build a scenario (``simkit.schema.levers`` on the picked scenario, with the values of the
controls that differ from it) and call the library (``simkit.evaluate``, ``simkit.plots``); no rule is
computed here.  A setting the library rejects shows its message in the view, above the table, until it is
fixed; the table then still shows the last valid setting and says so.

First-level weights: with "auto-scale" on (the default), sliders that do not add up to the scenario's total
are scaled in proportion to it, and the view says so; with it off, the library's error is shown.  Either
way the sub-items are taken as relative within their first-level item (``weights.children: scale``), so
first-level points can change freely.

>>> ex = Explorer(charts=False)
>>> ex.table_frame()["单位"].iloc[0]
'大通湖区'
>>> ex.weight_sliders["Q"].value = 20.0
>>> print(ex.notes[0])
权重合计70分，已按比例折算为100分 / weights add up to 70, scaled to 100: Q 28.57, B 28.57, P 21.43, S 21.43
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..analysis.compare import unit_changes
from ..engine.evaluate import evaluate
from ..engine.result import Result
from ..engine.tree import ROOT
from ..errors import SimkitError
from ..io.dataset import Dataset
from ..io.read import load_data
from ..io.scenarios import load_scenario, shipped_scenarios
from ..io.write import write_text
from ..schema import levers
from ..schema.scenario import Scenario
from .explorer_parts import CHARTS, chart_figure, describe, levers_for
from .labels import LABELS, SYNTHETIC_NOTE
from .tables import ranked_table
from .webparts import CSS, budget_html, fmt_error, problem, ranking_html, web_font_css

__all__ = ["CHARTS", "Explorer"]

_STYLE = {"description_width": "170px"}


def _slider_options() -> dict[str, Any]:
    """Options every slider shares: update on release (one evaluation per move), a wide label, its own layout."""
    return {"continuous_update": False, "style": _STYLE, "layout": w.Layout(width="420px")}


class Explorer:
    """Sliders over a scenario's main numbers, with the ranking table and charts that follow them.

    Parameters: ``scenario`` a shipped scenario's name (see ``simkit.io.scenarios.shipped_scenarios``), a scenario
    file or a ``Scenario``; ``data`` a Dataset (default: the bundled synthetic data); ``year`` (default: the
    last); ``group`` shown first (default: the first group); ``lang`` of unit and grade names (``zh`` or ``en``);
    ``charts=False`` draws no chart (faster, e.g. in tests); ``web_font=True`` sends the bundled Chinese font to
    the browser (default: when the ``SIMKIT_WEB_FONT`` environment variable is ``1``, as ``simkit dashboard``
    sets it); ``save_dir`` is where relative file names are saved (default: ``SIMKIT_SAVE_DIR``, else the
    current folder).

    Controls (attributes): ``scenario_picker``, ``group_picker``, ``weight_sliders`` (first-level points,
    by node id), ``autoscale``, ``uplift``, ``blend`` (the growth share of an increment/growth blend),
    ``quota_sliders`` (grade shares, by grade), ``float_sliders`` (bonus float by grade), ``unit_picker``
    (the unit of the score build-up chart), ``reset_button``, ``save_path``, ``save_name``, ``save_button``.
    Outputs: ``status`` (notes and errors), ``table`` (the ranking, HTML), ``budget``, ``chart_images``
    (PNG images by chart key, in ``chart_tabs``), ``save_status``.  State: ``scenario`` and ``result``
    (the last valid setting), ``base`` and ``base_result`` (the picked scenario as written), ``error``,
    ``library`` (the scenarios of the picker, by key).
    """

    def __init__(self, scenario: str | Path | Scenario = "yiyang_2018_reform", data: Dataset | None = None,
                 year: int | None = None, group: str | None = None, lang: str = "zh", charts: bool = True,
                 web_font: bool | None = None, save_dir: str | Path | None = None) -> None:
        if lang not in ("zh", "en"):
            raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
        self.data = load_data() if data is None else data
        self.year = year
        self.lang = lang
        self.draw_charts = charts
        self.save_dir = Path(save_dir if save_dir is not None else os.environ.get("SIMKIT_SAVE_DIR", "."))
        self._cache: OrderedDict[str, Result] = OrderedDict()
        self._quiet = False
        self._stale: set[str] = set(CHARTS)
        self._view: w.Widget | None = None
        self._body: w.Widget | None = None
        self.scenario: Scenario | None = None
        self.result: Result | None = None
        self.error: str | None = None
        self.notes: list[str] = []
        self.timings: dict[str, float] = {}
        self._ind = self.data.indicators.set_index("indicator")
        groups = list(dict.fromkeys(self.data.units["group"]))

        # ------------------------------------------------------------------ the scenarios of the picker
        self.library: dict[str, Scenario] = {}
        for name in shipped_scenarios():
            with contextlib.suppress(SimkitError):
                self.library[name] = load_scenario(name)
        first = self._key_of(scenario)

        # ------------------------------------------------------------------ controls
        wide = w.Layout(width="420px")
        self.scenario_picker = w.Dropdown(options=self._picker_options(), value=first, description="方案 Scenario",
                                          style={"description_width": "110px"}, layout=w.Layout(width="420px"))
        self.group_picker = w.Dropdown(options=groups, value=group if group is not None else groups[0],
                                       description="考核组别 Group", style={"description_width": "110px"},
                                       layout=wide)
        self.autoscale = w.Checkbox(value=True, description="权重自动折算为总分 auto-scale weights to the total",
                                    indent=False, layout=wide)
        self.weight_sliders: dict[str, w.FloatSlider] = {}
        self.weights_box = w.VBox()
        self.uplift = w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.01, readout_format=".0%",
                                    description="目标上浮 target uplift", **_slider_options())
        self.blend = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, readout_format=".0%",
                                   description="增速占比 growth share", **_slider_options())
        self.measure_note = w.HTML()
        self.quota_sliders: dict[str, w.FloatSlider] = {}
        self.quotas_box = w.VBox()
        self.float_sliders: dict[str, w.FloatSlider] = {}
        self.floats_box = w.VBox()
        self.unit_picker = w.Dropdown(description="单位 Unit", style={"description_width": "80px"})
        # text, not icons: Font Awesome is not there offline, and a missing icon shows as a box
        self.reset_button = w.Button(description="恢复方案原值 Reset", layout=w.Layout(width="auto"))
        self.save_path = w.Text(value="my_scenario.yaml", description="文件 File", style={"description_width": "70px"})
        self.save_name = w.Text(value="", description="方案名 Name", style={"description_width": "100px"},
                                placeholder="（默认：原方案名·调整）")
        self.save_button = w.Button(description="另存为方案 Save as scenario", layout=w.Layout(width="auto"))

        # ------------------------------------------------------------------ outputs
        self.title = w.HTML()
        self._show_title()
        self.status = w.HTML()
        self.table = w.HTML()
        self.budget = w.HTML()
        self.save_status = w.HTML()
        if web_font is None:
            web_font = os.environ.get("SIMKIT_WEB_FONT") == "1"
        self.font_css = w.HTML(web_font_css() if web_font else "")
        self.chart_images: dict[str, w.Image] = {
            k: w.Image(format="png", layout=w.Layout(max_width="100%", height="auto")) for k in CHARTS}
        pages = [w.VBox([self.unit_picker, img]) if k == "waterfall" else w.VBox([img])
                 for k, img in self.chart_images.items()]
        self.chart_tabs = w.Tab(children=pages, titles=tuple(CHARTS.values()))

        # ------------------------------------------------------------------ wiring
        self.scenario_picker.observe(self._guard(self._on_pick), names="value")
        self.group_picker.observe(self._guard(self._on_group), names="value")
        self.unit_picker.observe(self._guard(self._on_unit), names="value")
        self.chart_tabs.observe(self._guard(self._on_tab), names="selected_index")
        for c in (self.autoscale, self.uplift, self.blend):
            c.observe(self._guard(self._on_change), names="value")
        self.reset_button.on_click(self._guard(lambda _: self.reset()))
        self.save_button.on_click(self._guard(lambda _: self.save()))
        self._base_key = first
        self._on_pick()

    # ---------------------------------------------------------------------------------------------- scenarios
    def _key_of(self, scenario: str | Path | Scenario) -> str:
        """The picker key of a scenario given as a shipped name, a file or a ``Scenario`` (added if new)."""
        if isinstance(scenario, Scenario):
            # a Scenario keeps the file it was read from even when edited since: only the same rules share a key
            same = [k for k, sc in self.library.items()
                    if (sc.name, sc.fingerprint()) == (scenario.name, scenario.fingerprint())]
            return same[0] if same else self._add(scenario, None)
        if isinstance(scenario, str) and scenario in self.library:
            return scenario
        path = Path(scenario)
        if not path.is_file():
            names = ", ".join(shipped_scenarios())
            raise ValueError(f"no shipped scenario called {str(scenario)!r} and no such file; the shipped ones are: "
                             f"{names}")
        return self._add(load_scenario(path), str(path))

    def _add(self, scenario: Scenario, source: str | None) -> str:
        key = str(Path(source).resolve()) if source else f"memory:{scenario.name}:{scenario.fingerprint()[:12]}"
        self.library[key] = scenario
        return key

    def _label_of(self, key: str) -> str:
        sc = self.library[key]
        if key.startswith("memory:"):
            return sc.name
        return f"{sc.name} ({key if key in shipped_scenarios() else Path(key).name})"

    def _picker_options(self) -> list[tuple[str, str]]:
        return [(self._label_of(k), k) for k in self.library]

    def add_scenario(self, scenario: str | Path | Scenario, *, pick: bool = False) -> str:
        """Put a scenario (a file or a ``Scenario``) in the picker at once; ``pick`` also picks it.  Returns its key
        (a file: its absolute path).  A file read again replaces the scenario read before."""
        key = self._key_of(scenario)
        self._quiet = True
        try:
            self.scenario_picker.options = self._picker_options()
            self.scenario_picker.value = self._base_key
        finally:
            self._quiet = False
        if pick:
            self.scenario_picker.value = key
        return key

    # ---------------------------------------------------------------------------------------------- data
    def set_data(self, data: Dataset, key: str | None = None) -> None:
        """Show other data, with the picked scenario (or the one of ``key``), evaluated on them first: if it
        cannot be, the library's error is raised and the explorer keeps its data."""
        key = key or self._base_key
        year = self.year if self.year in data.years else None
        evaluate(self.library[key], data, year)  # raises SimkitError naming what does not fit
        self.data, self.year = data, year
        self._ind = data.indicators.set_index("indicator")
        self._cache.clear()
        groups = list(dict.fromkeys(data.units["group"]))
        self._quiet = True
        try:
            self.group_picker.options = groups
            self.group_picker.value = groups[0]
            self.scenario_picker.value = key
        finally:
            self._quiet = False
        self._show_title()
        self.result = None
        self._on_pick()

    def _show_title(self) -> None:
        # the synthetic-data banner only on synthetic data
        banner = f"<div class='simkit-banner'>{SYNTHETIC_NOTE}</div>" if self.data.synthetic else ""
        self.title.value = f"{CSS}<h3>绩效评估规则探索器 Explorer of evaluation rules</h3>{banner}"

    # ---------------------------------------------------------------------------------------------- helpers
    def _guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run a callback; anything it raises is shown in the view instead of vanishing."""

        def run(*args: Any) -> None:
            if self._quiet:
                return
            try:
                fn(*args)
            except Exception as exc:
                self._show_error(f"内部错误 internal error ({type(exc).__name__}): {exc}")

        return run

    def _evaluate(self, scenario: Scenario) -> Result:
        key = scenario.fingerprint()
        hit = self._cache.get(key)
        if hit is None:
            hit = evaluate(scenario, self.data, self.year)
            self._cache[key] = hit
            while len(self._cache) > 32:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return hit

    def _slider(self, value: float, lo: float, hi: float, step: float, fmt: str, description: str,
                tooltip: str = "") -> w.FloatSlider:
        s = w.FloatSlider(value=value, min=min(lo, value), max=max(hi, value), step=step, readout_format=fmt,
                          description=description, description_allow_html=False, tooltip=tooltip or None,
                          **_slider_options())
        s.observe(self._guard(self._on_change), names="value")
        return s

    def _name(self, node: str) -> tuple[str, str]:
        if node in self._ind.index:
            return str(self._ind.at[node, "name"]), str(self._ind.at[node, "name_en"])
        return node, node

    # ---------------------------------------------------------------------------------------------- building
    def _on_pick(self, *_: Any) -> None:
        """A scenario was picked: evaluate it as written, and set every control to its values."""
        key = self.scenario_picker.value
        try:
            base = self.library[key]
            base_result = self._evaluate(base)
        except (SimkitError, ValueError) as exc:
            if self.result is None:  # building the explorer: say so to the caller
                raise
            self._show_error(f"方案「{self._label_of(key)}」无法评估，下表仍为之前的方案 the scenario cannot be "
                             f"evaluated; the table still shows the previous one\n{fmt_error(exc)}")
            self._quiet = True
            try:  # the picker shows the scenario the controls belong to
                self.scenario_picker.value = self._base_key
            finally:
                self._quiet = False
            return
        self.base, self.base_result, self._base_key = base, base_result, key
        self._quiet = True
        try:
            self._build_controls()
        finally:
            self._quiet = False
        self.update()

    def _build_controls(self) -> None:
        base = self.base
        # first-level weights: the nodes the evaluated tree has at its first level, in the data's order
        tree = self.base_result.plan.tree
        order = list(self._ind.index)
        level1 = sorted((n for k, n in enumerate(tree.nodes) if tree.depth[k] == 1 and n != ROOT),
                        key=lambda n: order.index(n) if n in order else len(order))
        default = {n: float(self._ind.at[n, "weight"]) for n in level1 if n in self._ind.index}
        self._weights0 = levers.first_level_points(base, level1, default)
        self.weight_sliders = {}
        for n, v in self._weights0.items():
            zh, en = self._name(n)
            hi = 100.0 if base.weights.mode == "points" else max(10.0, 2 * v)
            self.weight_sliders[n] = self._slider(v, 0.0, max(hi, base.total), 1.0, ".0f", f"{zh} {n}", en)
        self.weights_box.children = list(self.weight_sliders.values())
        self.autoscale.disabled = base.weights.mode != "points"

        # target uplift: every rule whose target has an uplift; the increment/growth blend likewise
        self._uplift_at = levers.uplift_places(base)
        self._blend_at = levers.blend_places(base)
        self._uplift0 = self._first_of(self._uplift_at, level1, 0.0)
        self._blend0 = self._first_of(self._blend_at, level1, 0.5)
        self.uplift.value, self.uplift.disabled = self._uplift0, not self._uplift_at
        self.blend.value, self.blend.disabled = self._blend0, not self._blend_at
        where_u = "、".join(self._label(k) for k, _ in self._uplift_at) or "无 none"
        where_b = "、".join(self._label(k) for k, _ in self._blend_at) or "无（本方案只计总量） none: levels only"
        self.measure_note.value = (f"<small>目标上浮适用于 uplift applies to: {html.escape(where_u)}<br>"
                                   f"增量/增速适用于 blend applies to: {html.escape(where_b)}</small>")

        # grade quotas (shares from the top) and bonus floats by grade
        self._quotas0 = {g.name: float(g.share) for g in base.grading.grades
                         if g.share is not None and g.from_ == "top"}
        self.quota_sliders = {g: self._slider(v, 0.0, 1.0, 0.05, ".0%", f"{g}比例 share {self._grade_en(g)}")
                              for g, v in self._quotas0.items()}
        quota_note = [] if self.quota_sliders else [w.HTML("<small>本方案不按比例定等次 no grade quotas</small>")]
        self.quotas_box.children = [*self.quota_sliders.values(), *quota_note]
        bonus = base.consequences.bonus
        self._floats0 = dict(bonus.factors) if bonus is not None and bonus.by == "grade" else {}
        self.float_sliders = {g: self._slider(float(v), -1.0, 0.5, 0.01, "+.0%", f"{g}浮动 float {self._grade_en(g)}")
                              for g, v in self._floats0.items()}
        float_note = [] if self.float_sliders else [w.HTML("<small>本方案奖金不按等次浮动 no bonus float by grade"
                                                           "</small>")]
        self.floats_box.children = [*self.float_sliders.values(), *float_note]

    def _grade_en(self, grade: str) -> str:
        g = next((g for g in self.base.grading.grades if g.name == grade), None)
        return (g.name_en or "") if g is not None else ""

    def _label(self, key: str) -> str:
        if key == "defaults":
            return "默认规则 defaults"
        zh, _ = self._name(key)
        return f"{zh} {key}" if zh != key else key

    @staticmethod
    def _first_of(places: list[tuple[str, float]], level1: list[str], default: float) -> float:
        """A control's starting value: the setting of the first first-level node that has one, else the first."""
        if not places:
            return default
        at = dict(places)
        return next((at[n] for n in level1 if n in at), places[0][1])

    # ---------------------------------------------------------------------------------------------- scenario
    def moved(self) -> list[tuple[str, str | None, float, float]]:
        """The controls moved away from the picked scenario: (kind, node or grade, as shipped, now)."""
        out = [("weight", n, self._weights0[n], float(s.value)) for n, s in self.weight_sliders.items()]
        out += [("uplift", None, self._uplift0, float(self.uplift.value))] * bool(self._uplift_at)
        out += [("blend", None, self._blend0, float(self.blend.value))] * bool(self._blend_at)
        out += [("quota", g, self._quotas0[g], float(s.value)) for g, s in self.quota_sliders.items()]
        out += [("float", g, self._floats0[g], float(s.value)) for g, s in self.float_sliders.items()]
        return [m for m in out if abs(m[3] - m[2]) > 1e-9]

    def changes(self) -> tuple[list[levers.Lever], list[str]]:
        """The levers the controls ask for (only what differs from the picked scenario), and notes on them."""
        return levers_for(self.moved(), {n: float(s.value) for n, s in self.weight_sliders.items()}, self.base,
                          bool(self.autoscale.value))

    def describe_changes(self) -> list[str]:
        """The controls moved away from the picked scenario, in words (Chinese with English)."""
        return describe(self.moved())

    def build_scenario(self) -> Scenario:
        """The scenario the controls describe (the picked one, overridden); raises what the library raises."""
        changes, self.notes = self.changes()
        return levers.apply(self.base, changes)

    # ---------------------------------------------------------------------------------------------- updating
    def _on_change(self, *_: Any) -> None:
        self.update()

    def update(self) -> None:
        """Build the scenario from the controls, evaluate it, and refresh the table and the visible chart."""
        t0 = time.perf_counter()
        try:
            scenario = self.build_scenario()
            result = self._evaluate(scenario)
        except (SimkitError, ValueError) as exc:
            self._show_error(fmt_error(exc))
            return
        self.scenario, self.result, self.error = scenario, result, None
        self._show_status()
        self._refresh_units()
        self._render_table()
        self.timings["table"] = time.perf_counter() - t0
        self._stale = set(CHARTS)
        self._render_visible()
        self.timings["total"] = time.perf_counter() - t0

    def _show_status(self) -> None:
        parts = [f"<div class='simkit-note'>{html.escape(n)}</div>" for n in self.notes]
        moved = self.describe_changes()
        if moved:
            parts.append("<div class='simkit-note'>相对原方案的调整 changes from the scenario: "
                         + html.escape("；".join(moved)) + "</div>")
        self.status.value = "".join(parts)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status.value = ("<div class='simkit-error'><b>设置无效 invalid setting</b>\n"
                             f"{html.escape(message)}</div>")
        if self.result is not None:
            self._render_table(stale=True)

    def _on_group(self, *_: Any) -> None:
        self._refresh_units()
        self._render_table(stale=self.error is not None)
        self._stale |= {"ranking", "bump", "payouts", "waterfall"}
        self._render_visible()

    def _on_unit(self, *_: Any) -> None:
        self._stale.add("waterfall")
        self._render_visible()

    def _on_tab(self, *_: Any) -> None:
        self._render_visible()

    def _refresh_units(self) -> None:
        u = self.data.units
        part = u[u["group"] == self.group_picker.value]
        options = [(f"{r.name}", r.unit) for r in part.itertuples()]
        if [o[1] for o in self.unit_picker.options] != [o[1] for o in options]:
            self._quiet = True
            try:
                self.unit_picker.options = options
                self.unit_picker.value = self._top_unit() or options[0][1]
            finally:
                self._quiet = False

    def _top_unit(self) -> str | None:
        if self.result is None:
            return None
        u = self.result.units
        part = u[u["group"] == self.group_picker.value]
        return str(part["unit"].iat[0]) if len(part) else None

    # ---------------------------------------------------------------------------------------------- table
    def table_frame(self) -> pd.DataFrame:
        """The ranking table shown for the picked group: the library's ranked table plus the rank change
        against the picked scenario as shipped (positive = up)."""
        r = self.result
        if r is None:
            return pd.DataFrame()
        lang = self.lang
        full = ranked_table(r, lang)
        mask = (r.units["group"] == self.group_picker.value).to_numpy()
        df = full[mask].drop(columns=LABELS[lang]["group"]).reset_index(drop=True)
        ch = unit_changes(self.base_result, r).set_index("unit")["rank_change"]
        moves = ch.reindex(r.units.loc[mask, "unit"]).to_numpy()
        df.insert(1, "较原方案 vs scenario" if lang == "zh" else "vs scenario",
                  ["" if pd.isna(m) or m == 0 else (f"↑{int(m)}" if m > 0 else f"↓{int(-m)}") for m in moves])
        return df

    def _render_table(self, stale: bool = False) -> None:
        r = self.result
        grades = [g.name if self.lang == "zh" else (g.name_en or g.name) for g in r.scenario.grading.grades]
        caption = f"{self.base.name} · {r.year} · {self.group_picker.value}"
        self.table.value = ranking_html(self.table_frame(), grades, caption, name_col=LABELS[self.lang]["name"],
                                        grade_col=LABELS[self.lang]["grade"], stale=stale, scenario=r.scenario.name)
        self.budget.value = budget_html(r.budget())

    # ---------------------------------------------------------------------------------------------- charts
    def figure(self, key: str) -> Any:
        """The matplotlib Figure behind a chart tab (``CHARTS`` keys), for the current setting."""
        return chart_figure(key, self.result, self.base_result, self.group_picker.value,
                            self.unit_picker.value or self._top_unit(), self.lang)

    def render_chart(self, key: str) -> None:
        """Draw one chart into its image now (hidden charts are otherwise drawn when their tab is opened)."""
        fig = self.figure(key)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        self.chart_images[key].value = buf.getvalue()
        self._stale.discard(key)

    def _render_visible(self) -> None:
        if not self.draw_charts or self.result is None:
            return
        index = self.chart_tabs.selected_index
        key = list(CHARTS)[index if index is not None else 0]
        if key in self._stale:
            self.render_chart(key)

    # ---------------------------------------------------------------------------------------------- actions
    def reset(self) -> None:
        """Put every control back to the picked scenario's values."""
        self._quiet = True
        try:
            for n, s in self.weight_sliders.items():
                s.value = self._weights0[n]
            self.uplift.value, self.blend.value = self._uplift0, self._blend0
            for g, s in self.quota_sliders.items():
                s.value = self._quotas0[g]
            for g, s in self.float_sliders.items():
                s.value = self._floats0[g]
            self.autoscale.value = True
        finally:
            self._quiet = False
        self.update()

    def save(self, path: str | Path | None = None, name: str | None = None) -> Path:
        """Write the current setting as a scenario YAML file (``Scenario.to_yaml``) and check it reads back.

        Refuses (and says so in the view) while the setting is invalid.
        """
        path = Path(path if path is not None else self.save_path.value.strip() or "my_scenario.yaml")
        if path.suffix.lower() not in (".yaml", ".yml"):
            path = path.with_suffix(".yaml")
        path = self.save_dir / path  # an absolute path stays as it is
        if self.error is not None or self.scenario is None:
            msg = "当前设置无效，未保存 the current setting is invalid: not saved"
            self.save_status.value = f"<div class='simkit-error'>{html.escape(msg)}</div>"
            raise SimkitError([problem(str(path), "the current setting is invalid", "fix the setting first")])
        moved = self.describe_changes()
        title = (name if name is not None else self.save_name.value.strip()) or f"{self.base.name}·调整"
        described = (f"由 simkit 探索器从「{self.base.name}」调整而来 / made with the simkit explorer from "
                     f"{self.base.name_en or self.base.name}"
                     + (f": {'；'.join(moved)}" if moved else " (no changes)") + ".")
        if self.notes:
            described += " " + " ".join(self.notes)
        scenario = levers.Rename(name=title, name_en=f"{self.base.name_en or self.base.name}, adjusted",
                                 description=described).apply(self.scenario)
        header = (f"# 由 simkit 探索器保存 / saved by the simkit explorer (scenario {self._label_of(self._base_key)})\n"
                  + "".join(f"# {m}\n" for m in moved))
        write_text(path, header + scenario.to_yaml())
        back = load_scenario(path)
        self.add_scenario(path)  # in the picker at once, to pick again or to compare
        ok = back.fingerprint() == scenario.fingerprint()
        check = "已核对可读回 read back and checked" if ok else "读回后与当前设置不同！ differs when read back!"
        self.save_status.value = (f"<div class='simkit-note'>已保存 saved: {html.escape(str(path))}（{check}）"
                                  "</div>")
        if not ok:  # pragma: no cover - to_yaml and load_scenario agree by construction
            raise SimkitError([problem(str(path), "the saved file does not read back the same",
                                        "report this as a bug")])
        return path

    # ---------------------------------------------------------------------------------------------- view
    def body(self) -> w.Widget:
        """The controls and outputs without the title: controls on the left, table on the right, charts below."""
        if self._body is not None:
            return self._body

        def section(zh_en: str) -> w.HTML:
            return w.HTML(f"<b>{html.escape(zh_en)}</b>")

        controls = w.VBox([
            self.scenario_picker, self.group_picker,
            section("一级指标分值 First-level points"), self.weights_box, self.autoscale,
            section("目标与计分 Targets and scoring"), self.uplift, self.blend, self.measure_note,
            section("等次比例 Grade quotas"), self.quotas_box,
            section("奖金浮动 Bonus float by grade"), self.floats_box,
            self.reset_button,
        ], layout=w.Layout(width="440px", min_width="440px"))
        right = w.VBox([self.status, self.table, self.budget], layout=w.Layout(flex="1 1 auto"))
        save = w.HBox([self.save_path, self.save_name, self.save_button])
        self._body = w.VBox([w.HBox([controls, right]), self.chart_tabs, save, self.save_status])
        return self._body

    def compose(self) -> w.Widget:
        """The whole view: the title, then ``body()``."""
        if self._view is None:
            self._view = w.VBox([self.title, self.body(), self.font_css])
        return self._view

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.compose()._repr_mimebundle_(**kwargs)
