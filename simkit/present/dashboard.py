"""The office's dashboard (ipywidgets): the rules explorer on the office's own data and scenario files, a compare
tab, and the downloads an office files — the comparison workbook and the drafting note (起草说明).

``simkit dashboard [--data PATH] [--scenario FILE ...]`` serves it as a web page (``dashboard.ipynb`` in this
folder, under Voila, code hidden); ``Dashboard.from_environment()`` reads what the command passes on.  In the page:

- 打开数据 open data: an .xlsx workbook, several CSV files, or a .zip of a CSV folder, read by
  ``simkit.io.read.load_data`` from a temporary folder; a bad file shows the library's problems (Chinese with
  English) and the previous data stay;
- 打开方案 open scenario: YAML files; they, the files given with ``--scenario`` and the ones saved from the page
  appear in the scenario pickers at once;
- 方案对比 compare: base against reform (by default the explorer's current setting): winners and losers in bands,
  the budget, the bump chart, and the two downloads (links that carry the file, so they work offline).

Callbacks only call the library (``compare``, ``comparison_report``, ``brief_bytes``, ``plots``); no rule is
computed here.

>>> d = Dashboard(charts=False)
>>> d.compare_now().summary["reform"]
'益阳2018改革方案'
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import html
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..analysis.compare import Comparison, compare
from ..errors import DataError, Problem, SimkitError
from ..io.dataset import Dataset
from ..io.read import load_data
from ..schema.scenario import Scenario
from .explorer import Explorer
from .labels import BAND_ZH
from .reports import comparison_report, write_report_files
from .webparts import budget_html, download_link, frame_html, problems_html, web_font_css

__all__ = ["CURRENT", "Dashboard"]

#: The reform picker's entry for the explorer's current setting.
CURRENT = "__current__"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_MAX_UNZIPPED = 200 * 1024 * 1024  # a .zip that unpacks to more than this is refused (a zip bomb, or not data)
_DEFAULT_BASE = "legacy_totals"


def _button(text: str) -> w.Button:
    # text, never an icon: Font Awesome is not there offline; width auto so the label is never cut
    return w.Button(description=text, layout=w.Layout(width="auto"))


def _upload(text: str, accept: str) -> w.FileUpload:
    return w.FileUpload(description=text, accept=accept, multiple=True, icon="", layout=w.Layout(width="auto"))


class Dashboard:
    """The explorer with data and scenario uploads, a compare tab and the downloads.

    ``data``: a Dataset or a path (default the bundled data); ``scenarios``: files (or Scenarios) to put in the
    pickers, the first one picked (default the 2018 reform); ``base``: the compare tab's base (default the
    legacy rules); ``save_dir``: where the explorer saves scenarios; ``web_font`` as ``Explorer``.
    Attributes: ``explorer``, ``data_upload``, ``scenario_upload``, ``upload_status``, ``tabs``, ``base_picker``,
    ``reform_picker``, ``compare_status``, ``compare_budget``, ``bands``, ``bump``, ``workbook_button``,
    ``brief_button``, ``downloads``.
    """

    def __init__(self, data: Dataset | str | Path | None = None, scenarios: Sequence[str | Path | Scenario] = (),
                 *, base: str | Path | Scenario | None = None, save_dir: str | Path | None = None,
                 web_font: bool | None = None, charts: bool = True) -> None:
        data = data if isinstance(data, Dataset) else load_data(data)
        first = scenarios[0] if scenarios else "yiyang_2018_reform"
        self.explorer = ex = Explorer(first, data=data, charts=charts, web_font=False, save_dir=save_dir)
        for s in scenarios[1:]:
            ex.add_scenario(s)
        self._tmp = Path(tempfile.mkdtemp(prefix="simkit-dashboard-"))
        atexit.register(shutil.rmtree, self._tmp, ignore_errors=True)
        self._compared: Comparison | None = None
        self._links: dict[str, str] = {}  # the download links made for the comparison shown
        self.data_name = Path(data.source).name or data.source

        self.data_upload = _upload("打开数据 Open data (.xlsx / .csv / .zip)", ".xlsx,.xlsm,.csv,.zip")
        self.scenario_upload = _upload("打开方案 Open scenario (.yaml)", ".yaml,.yml")
        self.data_info = w.HTML()
        self.upload_status = w.HTML()
        base_key = ex._key_of(base) if base is not None else (_DEFAULT_BASE if _DEFAULT_BASE in ex.library
                                                               else next(iter(ex.library)))
        wide = {"style": {"description_width": "110px"}, "layout": w.Layout(width="520px")}
        self.base_picker = w.Dropdown(description="基准 Base", **wide)
        self.reform_picker = w.Dropdown(description="改革 Reform", **wide)
        self._sync_pickers(base=base_key, reform=CURRENT)
        self.compare_status = w.HTML()
        self.compare_summary = w.HTML()
        self.compare_budget = w.HTML()
        self.bands = w.HTML()
        # align_self: a row of boxes stretches its children to the tallest, which would distort the chart
        self.bump = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto", flex="0 1 auto",
                                                          align_self="flex-start", object_fit="contain"))
        self.workbook_button = _button("生成对比工作簿 Make the comparison workbook (.xlsx)")
        self.brief_button = _button("生成起草说明 Make the drafting note (Word)")
        self.downloads = w.HTML()
        if web_font is None:
            web_font = os.environ.get("SIMKIT_WEB_FONT") == "1"
        self.font_css = w.HTML(web_font_css() if web_font else "")
        numbers = w.VBox([self.compare_summary, self.compare_budget, self.bands,
                          w.HBox([self.workbook_button, self.brief_button], layout=w.Layout(flex_flow="row wrap")),
                          self.downloads], layout=w.Layout(width="640px", min_width="640px"))
        compare_box = w.VBox([w.HBox([self.base_picker, self.reform_picker], layout=w.Layout(flex_flow="row wrap")),
                              self.compare_status, w.HBox([numbers, self.bump])])
        self.tabs = w.Tab(children=[ex.body(), compare_box], titles=("规则探索 Explore", "方案对比 Compare"))
        self._view: w.Widget | None = None

        self.data_upload.observe(self._guard(self._on_data, self.upload_status), names="value")
        self.scenario_upload.observe(self._guard(self._on_scenarios, self.upload_status), names="value")
        ex.scenario_picker.observe(lambda _: self._sync_pickers(), names="options")  # saved from the page
        for picker in (self.base_picker, self.reform_picker):
            picker.observe(self._guard(self._on_compare_input, self.compare_status), names="value")
        self.tabs.observe(self._guard(self._on_compare_input, self.compare_status), names="selected_index")
        self.workbook_button.on_click(self._guard(lambda _: self.make_workbook(), self.downloads))
        self.brief_button.on_click(self._guard(lambda _: self.make_brief(), self.downloads))
        self._show_data()

    @classmethod
    def from_environment(cls) -> Dashboard:
        """The dashboard ``simkit dashboard`` asks for: data from ``SIMKIT_DATA``, scenario files from
        ``SIMKIT_SCENARIOS`` (separated by ``os.pathsep``), saved scenarios into ``SIMKIT_SAVE_DIR``."""
        files = [f for f in os.environ.get("SIMKIT_SCENARIOS", "").split(os.pathsep) if f]
        return cls(os.environ.get("SIMKIT_DATA") or None, files)

    # ---------------------------------------------------------------------------------------------- plumbing
    def _guard(self, fn: Callable[..., Any], where: w.HTML) -> Callable[..., Any]:
        """Run a callback; what it raises is shown in the page (never a traceback)."""

        def run(*args: Any) -> None:
            try:
                fn(*args)
            except _Shown:
                pass  # the message is in the page already
            except SimkitError as exc:
                where.value = problems_html(exc, "无法完成 could not be done")
            except Exception as exc:
                where.value = ("<div class='simkit-error'>内部错误 internal error "
                               f"({html.escape(type(exc).__name__)}): {html.escape(str(exc))}</div>")

        return run

    def _sync_pickers(self, base: str | None = None, reform: str | None = None) -> None:
        """The compare tab's pickers list the explorer's scenarios (shipped, given, opened, saved)."""
        options = list(self.explorer.scenario_picker.options)
        base = base or self.base_picker.value
        reform = reform or self.reform_picker.value
        self.base_picker.options = options
        self.reform_picker.options = [("当前设置（规则探索页）the current setting", CURRENT), *options]
        keys = {k for _, k in options}
        self.base_picker.value = base if base in keys else options[0][1]
        self.reform_picker.value = reform if reform in keys | {CURRENT} else CURRENT

    def _show_data(self) -> None:
        d = self.explorer.data
        self.data_info.value = (f"<small>数据 data：{html.escape(self.data_name)} · {len(d.units)} 个单位 units · "
                                f"{d.years[0]}–{d.years[-1]} · 指纹 sha256 {d.fingerprint()[:12]}</small>")

    # ---------------------------------------------------------------------------------------------- uploads
    def _on_data(self, *_: Any) -> None:
        files = [(f["name"], bytes(f["content"])) for f in self.data_upload.value]
        if files:
            try:
                self.open_data(files)
            finally:
                self.data_upload.value = ()  # the same file can be opened again after it is fixed

    def open_data(self, files: Sequence[tuple[str, bytes]]) -> Dataset:
        """Open uploaded data: one .xlsx, several CSV files, or a .zip of a CSV folder (name, content)."""
        self.upload_status.value = "<div class='simkit-note'>正在读取 reading…</div>"
        folder = Path(tempfile.mkdtemp(dir=self._tmp, prefix="data-"))
        names = ", ".join(n for n, _ in files)
        try:
            path = _unpack(files, folder)
            data = load_data(path)
        except SimkitError as exc:
            self.upload_status.value = problems_html(
                exc, f"数据文件有 {len(exc.problems)} 处问题，未打开；仍使用之前的数据 / {len(exc.problems)} "
                "problem(s) in the data: not opened, the previous data stay in use",
                rename={f"{folder}/": "", str(folder): "上传的文件夹 the uploaded folder"})
            raise _Shown from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        data = dataclasses.replace(data, source=f"上传 upload: {names}")
        self._use(data, names)
        return data

    def _use(self, data: Dataset, name: str) -> None:
        """Show new data with the picked scenario, else the first scenario that fits them."""
        ex = self.explorer
        keys = [ex._base_key, *(k for k in ex.library if k != ex._base_key)]
        first_error: SimkitError | None = None
        for key in keys:
            try:
                ex.set_data(data, key)
            except SimkitError as exc:
                first_error = first_error or exc
                continue
            self.data_name = name
            self._show_data()
            moved = "" if key == keys[0] else f"；原方案不适用于这些数据，已改用「{ex._label_of(key)}」 the picked " \
                                              "scenario does not fit these data: another one is picked"
            notes = list(getattr(data, "notes", ()))
            said = ""
            if notes:  # read, but not as written: a percent string, full-width digits... (the library's notes)
                items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notes[:20])
                more = f"<li>… {len(notes) - 20} more</li>" if len(notes) > 20 else ""
                said = (f"<br>注意：{len(notes)} 个数值按惯例读取 / {len(notes)} value(s) read by convention:"
                        f"<ul class='simkit-problems'>{items}{more}</ul>")
            self.upload_status.value = (f"<div class='simkit-note'>已打开 opened: {html.escape(name)}"
                                        f"{html.escape(moved)}{said}</div>")
            self._compared = None
            return
        self.upload_status.value = problems_html(
            first_error, "数据可以读取，但没有一个方案能在这些数据上评估；仍使用之前的数据 / the data were read, but "
            "no scenario can be evaluated on them: the previous data stay in use")
        raise _Shown

    def _on_scenarios(self, *_: Any) -> None:
        files = [(f["name"], bytes(f["content"])) for f in self.scenario_upload.value]
        if files:
            try:
                self.open_scenarios(files)
            finally:
                self.scenario_upload.value = ()

    def open_scenarios(self, files: Sequence[tuple[str, bytes]]) -> list[str]:
        """Put uploaded scenario files in the pickers (the first one picked); returns their keys."""
        folder = Path(tempfile.mkdtemp(dir=self._tmp, prefix="scenarios-"))
        keys, problems = [], []
        for name, content in files:
            path = folder / Path(name).name
            path.write_bytes(content)
            try:
                keys.append(self.explorer.add_scenario(path))
            except SimkitError as exc:
                problems += exc.problems
        if keys:
            self.explorer.scenario_picker.value = keys[0]
        if problems:
            self.upload_status.value = problems_html(SimkitError(problems), "方案文件有问题，未打开 / the scenario "
                                                     "file has problems: not opened",
                                                     rename={f"{folder}/": "", str(folder): "上传 upload"})
        else:
            self.upload_status.value = (f"<div class='simkit-note'>已打开方案 opened: "
                                        f"{html.escape(', '.join(n for n, _ in files))}</div>")
        return keys

    # ---------------------------------------------------------------------------------------------- compare
    def _scenarios(self) -> tuple[Scenario, Scenario]:
        ex = self.explorer
        base = ex.library[self.base_picker.value]
        reform = ex.scenario if self.reform_picker.value == CURRENT else ex.library[self.reform_picker.value]
        return base, reform

    def compare_now(self) -> Comparison:
        """Compare the picked base and reform on the explorer's data and year, and show it."""
        base, reform = self._scenarios()
        ex = self.explorer
        cmp = compare(base, reform, ex.data, ex.year)
        self._compared = cmp
        s = cmp.summary
        stale = (" <span class='simkit-stale'>（探索页的设置无效，此处为上一次有效设置 the explorer's setting is "
                 "invalid: its last valid one is compared）</span>"
                 if self.reform_picker.value == CURRENT and ex.error else "")
        self.compare_status.value = ""
        self.compare_summary.value = (
            f"<b>{html.escape(base.name)} → {html.escape(reform.name)}</b> · {s['year']}{stale}<br><small>名次变动 "
            f"units moving rank: {s['units_moving_rank']}；等次变动 changing grade: {s['units_changing_grade']}；"
            f"名次相关 Kendall τ {s['kendall_tau']:.2f}</small>")
        self.compare_budget.value = "<br>".join([budget_html(cmp.base.budget(), "基准 base："),
                                                 budget_html(cmp.reform.budget(), "改革 reform：")])
        bands = cmp.bands.assign(measure=cmp.bands["measure"].map({"rank": "名次 rank", "money": "奖金 money"}),
                                 band=cmp.bands["band"].map(BAND_ZH).fillna(cmp.bands["band"]),
                                 share=[f"{v:.0%}" for v in cmp.bands["share"]])
        bands.columns = ["口径 measure", "档位 band", "单位数 units", "占比 share"]
        self.bands.value = "<b>赢家与输家 Winners and losers</b>" + frame_html(bands)
        if ex.draw_charts:
            from .plots import bump_chart

            fig = bump_chart(cmp, group=ex.group_picker.value, labels=[f"基准 {base.name}", f"改革 {reform.name}"])
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            self.bump.value = buf.getvalue()
        self._links = {}
        self.downloads.value = ""
        return cmp

    def _on_compare_input(self, *_: Any) -> None:
        if self.tabs.selected_index == 1:
            self.compare_now()

    def _comparison(self) -> Comparison:
        base, reform = self._scenarios()
        c = self._compared
        same = c is not None and c.base.data is self.explorer.data and (
            c.base.scenario.fingerprint(), c.reform.scenario.fingerprint()) == (base.fingerprint(),
                                                                               reform.fingerprint())
        if not same:
            c = self.compare_now()
        return c

    def make_workbook(self) -> bytes:
        """The comparison workbook (comparison_report) as bytes, offered as a download link."""
        cmp = self._comparison()
        self.downloads.value += "<div class='simkit-note'>正在生成工作簿 making the workbook…</div>"
        try:
            report = comparison_report(cmp, size="gdp")
        except (SimkitError, KeyError, ValueError):  # data without a gdp: no size correlation in the summary
            report = comparison_report(cmp)
        folder = Path(tempfile.mkdtemp(dir=self._tmp, prefix="workbook-"))
        try:
            write_report_files(report, folder)
            data = (folder / report.workbook).read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._offer("workbook", download_link(data, "方案对比.xlsx", "下载对比工作簿 Download 方案对比.xlsx", _XLSX))
        return data

    def _offer(self, kind: str, link: str) -> None:
        self._links[kind] = link
        self.downloads.value = "".join(self._links[k] for k in ("workbook", "brief") if k in self._links)

    def make_brief(self) -> bytes:
        """The drafting note (Word) as bytes, offered as a download link."""
        from .brief import brief_bytes

        cmp = self._comparison()
        self.downloads.value += "<div class='simkit-note'>正在生成起草说明 making the drafting note…</div>"
        try:
            data = brief_bytes(cmp.base.scenario, cmp.reform.scenario, self.explorer.data, year=cmp.base.year)
        except (KeyError, ValueError) as exc:
            raise SimkitError(Problem("起草说明 drafting note", str(exc), "check that the data have the size "
                                      "measure gdp")) from None
        self._offer("brief", download_link(data, "起草说明.docx", "下载起草说明 Download 起草说明.docx", _DOCX))
        return data

    # ---------------------------------------------------------------------------------------------- view
    def compose(self) -> w.Widget:
        """The page: title, uploads, then the explore and compare tabs."""
        if self._view is None:
            bar = w.HBox([self.data_upload, self.scenario_upload], layout=w.Layout(flex_flow="row wrap"))
            self._view = w.VBox([self.explorer.title, bar, self.data_info, self.upload_status, self.tabs,
                                 self.font_css])
        return self._view

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.compose()._repr_mimebundle_(**kwargs)


class _Shown(SimkitError):
    """A problem already shown in the page (the guard leaves the message as it is)."""

    def __init__(self) -> None:
        super().__init__([])


def _unpack(files: Sequence[tuple[str, bytes]], folder: Path) -> Path:
    """The path to read: the .xlsx, or a folder holding the CSV files (uploaded one by one or in a .zip)."""
    names = [Path(n).name for n, _ in files]
    books = [n for n in names if n.lower().endswith((".xlsx", ".xlsm"))]
    zips = [n for n in names if n.lower().endswith(".zip")]
    if len(files) == 1 and books:
        (folder / books[0]).write_bytes(files[0][1])
        return folder / books[0]
    if len(files) == 1 and zips:
        return _unzip(files[0][1], folder, zips[0])
    if books or zips:
        raise DataError(Problem(", ".join(names), "an .xlsx workbook or a .zip is opened alone",
                                "open one workbook, or one .zip, or the CSV files of one folder together"))
    for name, content in files:
        (folder / Path(name).name).write_bytes(content)
    return folder


def _unzip(content: bytes, folder: Path, name: str) -> Path:
    """The CSV folder inside a .zip (the folder holding units.csv), unpacked flat; nothing outside ``folder``."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise DataError(Problem(name, "this is not a readable .zip file",
                                "zip the folder of CSV files again, or open the CSV files themselves")) from None
    with book:
        members = [m for m in book.infolist() if not m.is_dir() and not Path(m.filename).name.startswith(".")]
        if sum(m.file_size for m in members) > _MAX_UNZIPPED:
            raise DataError(Problem(name, "the .zip unpacks to more than 200 MB", "zip only the CSV folder"))
        homes = [str(Path(m.filename).parent) for m in members if Path(m.filename).name == "units.csv"]
        if not homes:
            raise DataError(Problem(name, "the .zip holds no units.csv", "zip the folder that holds units.csv, "
                                    "indicators.csv and observations.csv"))
        for m in members:
            path = Path(m.filename)
            if str(path.parent) == homes[0] and path.suffix.lower() in (".csv", ".md", ".txt"):
                with contextlib.suppress(OSError):
                    (folder / path.name).write_bytes(book.read(m))
    return folder
