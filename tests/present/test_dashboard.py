"""End to end: `simkit dashboard` serves the explorer with Voila; headless Chromium (Debian's, through
Playwright) moves a weight slider and waits for the ranking table to show the order the library computes.

The browser sees only the fonts that ship with matplotlib (no system Chinese font, as on a fresh machine), so
Chinese on the page and in the screenshots comes from the font the dashboard carries.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PRESSES = 20  # ArrowLeft on 高质量发展 (Q): 50 → 30 points, step 1

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                                    "/usr/bin/chromium (python3 tasks.py test installs it when run as root)")


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


def _expected_orders() -> tuple[list[str], list[str]]:
    """区县市 names in rank order: the reform as shipped, and with Q at 30 points scaled (with the rest) to 100."""
    import simkit

    data = simkit.load_data()
    reform = simkit.load_scenario("yiyang_2018_reform")
    points = {"Q": 50.0 - PRESSES, "B": 20.0, "P": 15.0, "S": 15.0}
    scaled = {k: v * reform.total / sum(points.values()) for k, v in points.items()}

    def order(scenario: simkit.Scenario) -> list[str]:
        u = simkit.evaluate(scenario, data).units
        return list(u[u["group"] == "区县市"]["name"])

    return order(reform), order(reform.override({"weights": {"children": "scale", "values": scaled}}))


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


@needs_chromium
@pytest.mark.timeout(420)
def test_dashboard_slider_moves_the_ranking(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("voila")
    before, after = _expected_orders()
    assert before != after, "the slider move must change the order, or the test proves nothing"

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "dashboard.log"
    env = {**os.environ, "SIMKIT_SAVE_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        command = [sys.executable, "-m", "simkit.cli", "dashboard", "--port", str(port), "--no-browser"]
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
                                start_new_session=True)
    try:
        _wait_for_server(port, log, proc, timeout=90)
        assert f"simkit dashboard: {url}" in log.read_text(errors="replace")
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True,
                                         env={**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))})
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(url, wait_until="domcontentloaded")
                names = page.locator("table.simkit-ranking td.name")
                names.first.wait_for()
                assert names.all_inner_texts() == before
                page.screenshot(path=str(tmp_path / "dashboard_before.png"), full_page=True)

                slider = page.locator(".widget-slider", has_text="高质量发展 Q")
                handle = slider.locator(".noUi-handle")
                handle.focus()
                for _ in range(PRESSES):
                    handle.press("ArrowLeft")
                sync_api.expect(slider.locator(".widget-readout")).to_have_text(str(50 - PRESSES), timeout=30_000)
                page.wait_for_function(
                    "expected => JSON.stringify([...document.querySelectorAll('table.simkit-ranking td.name')]"
                    ".map(td => td.textContent.trim())) === JSON.stringify(expected)", arg=after, timeout=60_000)
                assert names.all_inner_texts() == after
                sync_api.expect(page.get_by_text("已按比例折算为100分", exact=False)).to_be_visible()
                shot = tmp_path / "dashboard_after.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                chart = page.locator(".widget-tab").first
                chart.scroll_into_view_if_needed()
                chart.locator("img").first.wait_for()
                chart.screenshot(path=str(tmp_path / "dashboard_chart.png"))

                # one more step: time from the key press to the page showing the new setting's table
                start = time.monotonic()
                handle.press("ArrowRight")
                page.wait_for_function("() => document.body.innerText.includes('weights add up to 81')",
                                       timeout=30_000)
                latency = time.monotonic() - start
                print(f"browser: one slider step → updated view in {latency:.2f} s")
                assert latency < 5.0

                text = page.inner_text("body")
                for name in ("大通湖区", "益阳高新区", "高质量发展", "合成数据"):
                    assert name in text
                assert "import simkit" not in text and "Explorer(" not in text, "the code should be hidden"
                loaded = page.evaluate("[...document.fonts].filter(f => f.family.replace(/\"/g, '') === "
                                       "'simkit-cjk').map(f => f.status)")
                assert "loaded" in loaded, f"the bundled Chinese font did not load in the page: {json.dumps(loaded)}"
            finally:
                browser.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
