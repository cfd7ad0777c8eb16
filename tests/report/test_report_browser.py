"""The report opened in a real browser: headless Chromium, driven over the DevTools protocol.

Chromium is started with ``--remote-debugging-pipe`` (commands on fd 3, replies on fd 4,
NUL-separated JSON), so no port, no websocket and no extra package is needed. The test
loads ``index.html`` from disk, waits for the load event, takes a screenshot and checks
that every image decoded (``naturalWidth > 0``), that no console error or exception
occurred and that the page requested nothing but itself and ``data:`` URIs.

Skipped with a reason when Chromium is not installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

import csindex
from conftest import reference_path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def _chromium() -> str | None:
    env = os.environ.get("CSINDEX_CHROMIUM")
    if env and Path(env).exists():
        return env
    for path in CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (/usr/bin/chromium absent); install Debian's 'chromium' "
           "package (CI's .ci/run does) to run the browser test of the HTML report",
)


class DevTools:
    """Minimal Chrome DevTools Protocol client over --remote-debugging-pipe."""

    def __init__(self, binary: str, profile: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        cmd_r, self._cmd_w = os.pipe()  # we write commands, Chromium reads them on fd 3
        self._out_r, out_w = os.pipe()  # Chromium writes replies on fd 4
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(out_w)

        def _fds() -> None:  # in the child: put the pipe ends on fds 3 and 4
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-sync", "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage",
                "--window-size=1280,1000", f"--user-data-dir={profile}", "--remote-debugging-pipe",
                "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, pass_fds=(3, 4, hi_r, hi_w), preexec_fn=_fds)
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Chromium over the DevTools pipe")
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            ev = self._read_message(deadline)
            self.events.append(ev)
            if ev.get("method") == method:
                return ev

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - already gone
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._out_r):
            try:
                os.close(fd)
            except OSError:
                pass


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


_LAYOUT_JS = r"""JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  wide: Array.from(document.querySelectorAll('main > section, header, nav, footer'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.id || e.tagName),
  figText: Array.from(document.images).filter(i => i.dataset.minTextPx).map(i => ({
        shown: i.getBoundingClientRect().width, box: i.closest('.fig').clientWidth,
        scrolls: i.closest('.fig').scrollWidth > i.closest('.fig').clientWidth + 1,
        phone: !!i.closest('picture') && i.currentSrc !== i.src,
        px: parseFloat(i.dataset.minTextPx) * i.getBoundingClientRect().width
            / i.naturalWidth,
        alt: i.alt.slice(0, 60)})),
  cutTables: Array.from(document.querySelectorAll('table.csindex-table'))
        .filter(t => t.scrollWidth > t.clientWidth + 1)
        .map(t => (t.previousElementSibling ? t.previousElementSibling.textContent : '').slice(0, 60)),
  brokenRanges: Array.from(document.querySelectorAll('th')).filter(th => {
        const t = th.firstChild; if (!t || t.nodeType !== 3) return false;
        const m = /\d–\u2060?\d+/.exec(t.data); if (!m) return false;
        const r = document.createRange(); r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
        return r.getClientRects().length > 1; }).map(th => th.textContent),
  thLines: Math.max(0, ...Array.from(document.querySelectorAll('th')).map(th =>
        Math.round((th.clientHeight - 6) / parseFloat(getComputedStyle(th).lineHeight)))),
  quoteEm: (() => { const s = document.createElement('span'); s.textContent = '\u201c\u201c\u201c\u201c';
        document.querySelector('main p').appendChild(s);
        const em = s.getBoundingClientRect().width / 4 / parseFloat(getComputedStyle(s).fontSize);
        s.remove(); return em; })(),
  bodyFont: Math.min(...Array.from(document.querySelectorAll('main p, main td, main th, main li'))
        .map(e => parseFloat(getComputedStyle(e).fontSize)))
})"""


def open_in_chromium(page: Path, profile: Path, screenshot: Path, width: int = 1280) -> dict[str, Any]:
    """Load ``page`` at ``width`` CSS px; return images, console errors, requested URLs, layout
    measurements and the screenshot size."""
    dt = DevTools(CHROMIUM, profile)  # type: ignore[arg-type]
    try:
        targets = dt.send("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else dt.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = dt.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.send(f"{domain}.enable", session=session)
        dt.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": width < 600}, session=session)
        dt.events.clear()
        dt.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        dt.wait_for("Page.loadEventFired")
        images = dt.send("Runtime.evaluate", {
            "expression": "JSON.stringify(Array.from(document.images).map(i => "
                          "({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight})))",
            "returnByValue": True}, session=session)["result"]["value"]
        sections = dt.send("Runtime.evaluate", {
            "expression": "Array.from(document.querySelectorAll('section')).map(s => s.id).join(',')",
            "returnByValue": True}, session=session)["result"]["value"]
        layout = dt.send("Runtime.evaluate", {"expression": _LAYOUT_JS, "returnByValue": True},
                         session=session)["result"]["value"]
        shot = dt.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        data = base64.b64decode(shot)
        screenshot.write_bytes(data)
        events = list(dt.events)
    finally:
        dt.close()
    errors = []
    for ev in events:
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append(p["exceptionDetails"].get("text", "exception"))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append(p["entry"].get("text", ""))
        elif m == "Network.loadingFailed":
            errors.append(f"loading failed: {p.get('errorText')}")
    requests = [ev["params"]["request"]["url"] for ev in events if ev.get("method") == "Network.requestWillBeSent"]
    return {"images": json.loads(images), "errors": errors, "requests": requests,
            "screenshot": _png_size(data), "sections": sections.split(","), "layout": json.loads(layout)}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_in_chromium(tmp_path, lang):
    out = tmp_path / "report"
    res = csindex.report(out=out, lang=lang, bootstrap=50, seed=1, excel=False, progress=False)
    seen = open_in_chromium(res.index_html, tmp_path / "profile", tmp_path / "screenshot.png")
    assert seen["errors"] == []
    assert len(seen["images"]) == res.n_figures >= 4
    assert all(img["complete"] and img["w"] > 0 and img["h"] > 0 for img in seen["images"]), seen["images"]
    page_uri = res.index_html.resolve().as_uri()
    assert all(u == page_uri or u.startswith("data:") for u in seen["requests"]), seen["requests"]
    assert seen["sections"] == list(res.sections["id"])
    w, h = seen["screenshot"]
    assert w >= 800 and h >= 600
    assert (tmp_path / "screenshot.png").stat().st_size > 20_000  # a rendered page, not a blank one


@pytest.fixture(scope="module")
def wave_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-waves")
    samples = csindex.datasets.samples_dir()
    return csindex.report(samples / "airline_wave2.csv", codebook=csindex.datasets.airline_codebook_path(),
                          previous=samples / "airline.csv", bootstrap=50, seed=1, out=out, excel=False, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_readable_at_desktop_and_phone_width(tmp_path, wave_report, width):
    seen = open_in_chromium(wave_report.index_html, tmp_path / "profile", tmp_path / f"shot{width}.png", width=width)
    assert seen["errors"] == []
    assert len(seen["images"]) == wave_report.n_figures
    assert all(img["complete"] and img["w"] > 0 for img in seen["images"])
    layout = seen["layout"]
    assert layout["innerWidth"] == width
    assert layout["scrollWidth"] <= width, layout  # no horizontal overflow of the page
    assert layout["wide"] == []
    assert len(layout["figText"]) == wave_report.n_figures
    small = [f for f in layout["figText"] if f["px"] < 9.0]
    assert small == [], small  # figures are never shrunk below 9 CSS px text
    # a figure wider than the column scales down to it (max-width:100%) as far as its text stays 9 px;
    # only then does it scroll in its box (at 390 px the path diagram was 900 px in a 366 px box)
    for f in layout["figText"]:
        assert f["shown"] <= f["box"] + 1 or f["px"] < 9.2, f
        assert not f["scrolls"] or f["px"] < 9.2, f
    # the path diagram has a phone-width drawing: at 390 px it is shown whole (it scrolled in its
    # box at half its width), at 1280 px the full one
    path = [f for f in layout["figText"] if f["alt"].startswith("PLS path model")]
    assert len(path) == 1 and path[0]["phone"] == (width == 390), path
    assert not path[0]["scrolls"] and path[0]["px"] >= 9.0, path
    assert layout["bodyFont"] >= 12


@pytest.mark.slow
def test_english_page_on_ecsi_data_fits_the_desktop_column_with_latin_quotes(tmp_path):
    # the "What to improve first" table of mobi.csv (ECSI) has nine columns with long headers; at
    # 1280 px its last columns (tier, Shapley share) were hidden behind a horizontal scroll
    out = tmp_path / "report"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csindex.report(reference_path("mobi.csv"), model="ecsi", out=out, bootstrap=30, seed=1, excel=False,
                             progress=False)
    seen = open_in_chromium(res.index_html, tmp_path / "profile", tmp_path / "shot.png", width=1280)
    assert seen["errors"] == []
    assert seen["layout"]["cutTables"] == []
    assert seen["layout"]["brokenRanges"] == []  # "Performance (0–" / "100)" in a wrapped header
    # English text takes its curly quotes from a Latin font: a CJK font's full-width “ set the
    # quoted construct of the headline ("the construct “Loyalty” in") apart by a blank em
    assert seen["layout"]["quoteEm"] < 0.6, seen["layout"]["quoteEm"]


@pytest.mark.slow
def test_chinese_headers_wrap_in_words_not_in_single_characters_on_a_phone(tmp_path):
    # at 390 px the header 影响（每提高 1 分带来的指数分） wrapped two characters a line, eight lines high
    out = tmp_path / "report"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csindex.report(reference_path("mobi.csv"), model="ecsi", lang="zh", out=out, bootstrap=0, seed=1,
                             excel=False, progress=False)
    seen = open_in_chromium(res.index_html, tmp_path / "profile", tmp_path / "shot.png", width=390)
    assert seen["errors"] == []
    assert 1 <= seen["layout"]["thLines"] <= 4, seen["layout"]["thLines"]
