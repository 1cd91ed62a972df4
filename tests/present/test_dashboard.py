"""End to end: `simkit dashboard` serves the dashboard with Voila; headless Chromium (Debian's, through
Playwright) works it as an office would, at 1366×768: it moves a weight slider and waits for the ranking the
library computes; opens a bad file and then the office's own workbook (the fill-in template with the bundled
data in it); saves a scenario and picks it again; opens the compare tab and downloads the comparison workbook
and the drafting note.  Every label is checked for being cut off, and screenshots are taken.

The browser sees only the fonts that ship with matplotlib (no system Chinese font, as on a fresh machine), so
Chinese on the page and in the screenshots comes from the font the dashboard carries.  Screenshots go to the
test's temporary folder, or to ``SIMKIT_SCREENSHOTS`` when set (e.g. tests/present/artifacts).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PRESSES = 20  # ArrowLeft on 高质量发展 (Q): 50 → 30 points, step 1
VIEWPORT = {"width": 1366, "height": 768}
RENAMED = {"赫山区": "赫山区（上传）"}  # the office's workbook differs from the bundled data: its data are shown

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                                    "/usr/bin/chromium (python3 tasks.py test installs it when run as root)")

#: Elements whose text ipywidgets cuts with an ellipsis when it does not fit (labels, buttons, tabs, readouts),
#: and every visible <select> whose chosen option is wider than the box.
CUT_LABELS = """() => {
  const bad = [];
  const sel = '.widget-label, .widget-label-basic, .jupyter-button, .widget-button, .lm-TabBar-tabLabel, '
            + '.widget-readout, .widget-checkbox label, .widget-upload';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) bad.push([el.className, el.textContent.trim(), el.scrollWidth,
                                                       el.clientWidth]);
  }
  const ctx = document.createElement('canvas').getContext('2d');
  for (const s of document.querySelectorAll('select')) {
    if (!s.offsetParent || s.selectedIndex < 0) continue;
    const cs = getComputedStyle(s);
    ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
    const text = s.options[s.selectedIndex].text;
    const need = ctx.measureText(text).width + 24;  // the arrow and the padding
    if (need > s.clientWidth) bad.push(['select', text, Math.round(need), s.clientWidth]);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    bad.push(['page', 'wider than the window', document.documentElement.scrollWidth, window.innerWidth]);
  return bad;
}"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fontconfig(tmp: Path) -> Path:
    """A fontconfig file that shows the browser only matplotlib's DejaVu fonts: no Chinese system font."""
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    conf = tmp / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{tmp / "fc-cache"}</cachedir></fontconfig>
""", encoding="utf-8")
    return conf


def filled_template(path: Path, rename: dict[str, str] | None = None) -> Path:
    """The fill-in template (``simkit template``) with the bundled data typed in, as an office would."""
    from openpyxl import load_workbook

    from simkit.io.dataset import BUNDLED
    from simkit.io.template import write_template

    write_template(path)
    wb = load_workbook(path)
    for ws in wb.worksheets[1:]:
        source = BUNDLED / f"{ws.title}.csv"
        if not source.exists():
            continue
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if ws.title == "units" and rename:
            frame["name"] = frame["name"].replace(rename)
        heads = [str(c.value).split()[-1] for c in ws[1] if c.value]
        for col in frame.columns:
            if col not in heads:  # attribute columns beyond the template's
                heads.append(col)
                ws.cell(1, len(heads), col)
        for r, row in enumerate(frame.itertuples(index=False), start=2):
            for col, v in zip(frame.columns, row, strict=True):
                if v != "":
                    ws.cell(r, heads.index(col) + 1, v)
    wb.save(path)
    return path


def _order(scenario, data, group: str = "区县市") -> list[str]:
    import simkit

    u = simkit.evaluate(scenario, data).units
    return list(u[u["group"] == group]["name"])


def _expected_orders() -> tuple[list[str], list[str]]:
    """区县市 names in rank order: the reform as shipped, and with Q at 30 points scaled (with the rest) to 100."""
    import simkit

    data = simkit.load_data()
    reform = simkit.load_scenario("yiyang_2018_reform")
    points = {"Q": 50.0 - PRESSES, "B": 20.0, "P": 15.0, "S": 15.0}
    return _order(reform, data), _order(simkit.levers.set_points(reform, points, scale=True), data)


def _wait_for_server(port: int, log: Path, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"simkit dashboard exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not listen on port {port} within {timeout:.0f} s:\n"
                f"{log.read_text(errors='replace')}")


@contextlib.contextmanager
def _dashboard(tmp: Path, *extra: str) -> Iterator[str]:
    """``simkit dashboard`` running on a free port (saving into ``tmp``), stopped afterwards; yields its URL."""
    port = _free_port()
    log = tmp / "dashboard.log"
    env = {**os.environ, "SIMKIT_SAVE_DIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        command = [sys.executable, "-m", "simkit.cli", "dashboard", "--port", str(port), "--no-browser", *extra]
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, env=env,
                                start_new_session=True)
    try:
        _wait_for_server(port, log, proc, timeout=90)
        url = f"http://127.0.0.1:{port}/"
        assert f"simkit dashboard: {url}" in log.read_text(errors="replace")
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@contextlib.contextmanager
def _browser(tmp: Path) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp / "chromium-profile"  # a new --user-data-dir for every run (Playwright passes it on)
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True, viewport=VIEWPORT,
            accept_downloads=True, env={**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp))})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(120_000)
            yield page
        finally:
            context.close()


def _shots(tmp: Path) -> Path:
    folder = Path(os.environ.get("SIMKIT_SCREENSHOTS") or tmp / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _no_cut_labels(page, where: str) -> None:
    bad = page.evaluate(CUT_LABELS)
    assert bad == [], f"{where}: labels cut off at 1366 px: {json.dumps(bad, ensure_ascii=False)}"


def _names(page) -> list[str]:
    return page.locator("table.simkit-ranking td.name").all_inner_texts()


def _wait_names(page, expected: list[str]) -> None:
    page.wait_for_function(
        "expected => JSON.stringify([...document.querySelectorAll('table.simkit-ranking td.name')]"
        ".map(td => td.textContent.trim())) === JSON.stringify(expected)", arg=expected, timeout=60_000)


def pick(select, text: str) -> None:
    """Choose the option of a dropdown whose label holds ``text``, as a person would."""
    labels = select.locator("option").all_text_contents()
    chosen = [label for label in labels if text in label.replace("\xa0", " ")]  # ipywidgets uses no-break spaces
    assert chosen, f"no option {text!r} among {labels}"
    select.select_option(label=chosen[0])


def _font_loaded(page) -> None:
    loaded = page.evaluate("[...document.fonts].filter(f => f.family.replace(/\"/g, '') === "
                           "'simkit-cjk').map(f => f.status)")
    assert "loaded" in loaded, f"the bundled Chinese font did not load in the page: {json.dumps(loaded)}"


def _no_code(page) -> None:
    text = page.inner_text("body")
    for code in ("import simkit", "from simkit", "Dashboard.from_environment", "Explorer(", "Traceback"):
        assert code not in text, f"code is visible in the page: {code!r}"


# ================================================================================================ tests
def test_dashboard_reports_a_busy_port() -> None:
    from click.testing import CliRunner

    from simkit.cli import main

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = CliRunner().invoke(main, ["dashboard", "--port", str(port), "--no-browser"])
    assert out.exit_code == 2
    assert "the port is in use" in out.output and "--port" in out.output


def test_dashboard_checks_its_files_before_serving(tmp_path: Path) -> None:
    pytest.importorskip("voila")
    from click.testing import CliRunner

    from simkit.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["dashboard", "--data", str(tmp_path / "nowhere"), "--port", str(_free_port()),
                               "--no-browser"])
    assert out.exit_code == 2 and "does not exist" in out.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nweights: 3\n", encoding="utf-8")
    out = runner.invoke(main, ["dashboard", "--scenario", str(bad), "--port", str(_free_port()), "--no-browser"])
    assert out.exit_code == 2 and "bad.yaml" in out.output


def test_the_notebook_ships_in_the_package() -> None:
    import tomllib

    from simkit.cli.dashboard import NOTEBOOK

    assert NOTEBOOK.is_file() and NOTEBOOK.parent.name == "present"
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    assert "present/*.ipynb" in project["tool"]["setuptools"]["package-data"]["simkit"]
    cells = json.loads(NOTEBOOK.read_text("utf-8"))["cells"]
    assert any("Dashboard.from_environment()" in "".join(c["source"]) for c in cells)


@needs_chromium
@pytest.mark.timeout(420)
def test_dashboard_slider_moves_the_ranking(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("voila")
    before, after = _expected_orders()
    assert before != after, "the slider move must change the order, or the test proves nothing"
    shots = _shots(tmp_path)
    with _dashboard(tmp_path) as url, _browser(tmp_path) as page:
        page.goto(url, wait_until="domcontentloaded")
        page.locator("table.simkit-ranking td.name").first.wait_for()
        assert _names(page) == before
        sync_api.expect(page.locator(".simkit-banner")).to_have_text("合成数据，仅供演示 / synthetic data, for "
                                                                     "illustration only")
        _font_loaded(page)
        _no_cut_labels(page, "the explore tab")
        page.screenshot(path=str(shots / "dashboard_explore.png"))

        slider = page.locator(".widget-slider", has_text="高质量发展 Q")
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(PRESSES):
            handle.press("ArrowLeft")
        sync_api.expect(slider.locator(".widget-readout")).to_have_text(str(50 - PRESSES), timeout=30_000)
        _wait_names(page, after)
        sync_api.expect(page.get_by_text("已按比例折算为100分", exact=False)).to_be_visible()
        shot = shots / "dashboard_after_slider.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        chart = page.locator(".widget-tab", has_text="排名 Ranking").last
        chart.scroll_into_view_if_needed()
        chart.locator("img").first.wait_for()
        chart.screenshot(path=str(shots / "dashboard_chart.png"))

        # one more step: time from the key press to the page showing the new setting's table
        start = time.monotonic()
        handle.press("ArrowRight")
        page.wait_for_function("() => document.body.innerText.includes('weights add up to 81')", timeout=30_000)
        latency = time.monotonic() - start
        print(f"browser: one slider step → updated view in {latency:.2f} s")
        assert latency < 5.0

        text = page.inner_text("body")
        for name in ("大通湖区", "益阳高新区", "高质量发展", "合成数据"):
            assert name in text
        _no_code(page)


@needs_chromium
@pytest.mark.timeout(600)
def test_dashboard_on_the_offices_own_work(tmp_path: Path) -> None:
    """Open a bad file, then the office's workbook; save a scenario and pick it again; compare; download."""
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("voila")
    import docx
    import openpyxl

    import simkit

    shots = _shots(tmp_path)
    book = filled_template(tmp_path / "本单位数据.xlsx", RENAMED)
    office = simkit.load_data(book)
    given = tmp_path / "given.yaml"
    shutil.copy(Path(simkit.__file__).parent / "scenarios" / "reform_bands.yaml", given)
    bad = tmp_path / "bad" / "units.csv"
    bad.parent.mkdir()
    bad.write_text("unit,name\nA,甲\n", encoding="utf-8")

    with _dashboard(tmp_path, "--scenario", str(given)) as url, _browser(tmp_path) as page:
        page.goto(url, wait_until="domcontentloaded")
        page.locator("table.simkit-ranking td.name").first.wait_for()
        picker = page.locator(".widget-dropdown", has_text="方案 Scenario").first.locator("select")
        assert "given.yaml" in picker.locator("option:checked").inner_text()  # --scenario: offered and picked
        assert _names(page) == _order(simkit.load_scenario(given), simkit.load_data())
        sync_api.expect(page.locator(".simkit-banner")).to_be_visible()

        # a bad file: the library's problems in the page, Chinese with English, the data stay
        upload = page.locator(".widget-upload", has_text="打开数据")

        def open_file(path: Path) -> None:  # the button opens the browser's file dialog, as for a person
            with page.expect_file_chooser() as chooser:
                upload.click()
            chooser.value.set_files(str(path))

        open_file(bad)
        error = page.locator(".simkit-error", has_text="数据文件有")
        error.wait_for()
        assert "the required table `indicators` is missing" in error.inner_text()
        assert "修改方法 fix" in error.inner_text()
        _no_code(page)
        page.screenshot(path=str(shots / "dashboard_bad_file.png"))

        # the office's workbook: its data are shown, and they are not synthetic
        pick(picker, "(yiyang_2018_reform)")
        open_file(book)
        page.locator(".simkit-note", has_text="已打开 opened").wait_for()
        reform = simkit.load_scenario("yiyang_2018_reform")
        _wait_names(page, _order(reform, office))
        assert "赫山区（上传）" in _names(page)
        sync_api.expect(page.locator(".simkit-banner")).to_have_count(0)
        assert "本单位数据.xlsx" in page.inner_text("body")
        _no_cut_labels(page, "after opening the workbook")
        page.screenshot(path=str(shots / "dashboard_office_data.png"))

        # move a slider, save the setting as a scenario, and pick it again from the picker
        slider = page.locator(".widget-slider", has_text="高质量发展 Q")
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(PRESSES):
            handle.press("ArrowLeft")
        sync_api.expect(slider.locator(".widget-readout")).to_have_text(str(50 - PRESSES), timeout=30_000)
        moved = simkit.levers.set_points(reform, {"Q": 30.0, "B": 20.0, "P": 15.0, "S": 15.0}, scale=True)
        _wait_names(page, _order(moved, office))
        page.locator(".widget-text", has_text="文件 File").locator("input").fill("页面保存.yaml")
        page.locator(".widget-text", has_text="方案名 Name").locator("input").fill("页面保存的方案")
        page.locator("button", has_text="另存为方案 Save as scenario").click()
        page.locator(".simkit-note", has_text="已保存 saved").wait_for()
        saved = tmp_path / "页面保存.yaml"
        assert saved.is_file()
        label = "页面保存的方案 (页面保存.yaml)"
        sync_api.expect(picker.locator("option", has_text=label)).to_have_count(1)
        pick(picker, "(legacy_totals)")
        _wait_names(page, _order(simkit.load_scenario("legacy_totals"), office))
        pick(picker, label)
        page.locator("table.simkit-ranking caption", has_text="页面保存的方案").wait_for()
        _wait_names(page, _order(simkit.load_scenario(saved), office))
        sync_api.expect(slider.locator(".widget-readout")).to_have_text("38")  # 30 of 80 points → 37.5 of 100
        _no_cut_labels(page, "after picking the saved scenario")

        # the compare tab: legacy rules against the saved scenario
        page.locator(".lm-TabBar-tab", has_text="方案对比 Compare").click()
        bands = page.locator("text=赢家与输家 Winners and losers")
        bands.wait_for()
        cmp = simkit.compare(simkit.load_scenario("legacy_totals"), simkit.load_scenario(saved), office)
        moved_up = int(cmp.bands.set_index(["measure", "band"]).loc[("rank", "up ≥3"), "units"])
        row = page.locator("tr", has_text="上升3位及以上")
        assert row.locator("td").nth(2).inner_text() == str(moved_up)
        assert "全部单位奖金合计" in page.inner_text("body")
        # the bump chart: a drawn image in the visible tab
        page.wait_for_function("() => [...document.querySelectorAll('img')].some(i => i.naturalWidth > 300 && "
                               "i.offsetParent !== null)")
        _no_cut_labels(page, "the compare tab")
        page.screenshot(path=str(shots / "dashboard_compare.png"), full_page=True)

        # downloads: the comparison workbook and the drafting note
        page.locator("button", has_text="生成对比工作簿").click()
        link = page.locator("a.simkit-download", has_text="方案对比.xlsx")
        link.wait_for()
        with page.expect_download() as info:
            link.click()
        workbook = tmp_path / "downloaded.xlsx"
        info.value.save_as(str(workbook))
        wb = openpyxl.load_workbook(workbook)
        assert "对比 Comparison" in wb.sheetnames
        assert wb["对比 Comparison"].page_setup.orientation == "landscape"

        page.locator("button", has_text="生成起草说明").click()
        link = page.locator("a.simkit-download", has_text="起草说明.docx")
        link.wait_for(timeout=180_000)
        with page.expect_download() as info:
            link.click()
        link.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "dashboard_downloads.png"))
        note = tmp_path / "downloaded.docx"
        info.value.save_as(str(note))
        document = docx.Document(str(note))
        headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
        assert headings[0] == "一、目的" and headings[-1] == "八、数据来源"
        assert "合成数据" not in "\n".join(p.text for p in document.paragraphs)  # the office's data are real
        _font_loaded(page)
        _no_code(page)
