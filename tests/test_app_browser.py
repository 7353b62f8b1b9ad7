"""The page in a real browser: the app runs as a subprocess on a free port, building its index from seeds/
into a temporary folder; Debian's headless Chromium (driven by Playwright, no downloaded browser) asks a
question, waits for the streamed answer, follows an [n] link to its source, asks a follow-up and saves a
screenshot (also to docs/screenshot.png for the README). Slow: index build + two LLM answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
QUESTION = "高密市“十三五”末地区生产总值达到多少亿元？"
FOLLOW_UP = "那平度呢？"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    port = free_port()
    env = os.environ | {"RAG_INDEX_DIR": str(tmp / "index"), "PYTHONUNBUFFERED": "1"}
    log = (tmp / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, proc, 120)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs it (apt-get install chromium)"
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def last_bot_text(page) -> str:
    return page.locator("#chat .message.bot").last.inner_text()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def wait_for_final_answer(page, links_before: int, timeout_ms: int) -> bool:
    """Wait for the checked answer (new [n] links and a cited source; the sources panel marks passages as
    cited only once the answer is final). Returns whether partial answer text was seen before that."""
    return bool(
        page.evaluate(
            """([before, limit]) => new Promise((resolve) => {
                 const t0 = Date.now(); let partial = false;
                 const tick = () => {
                   const bots = document.querySelectorAll('#chat .message.bot');
                   const text = bots.length ? bots[bots.length - 1].innerText.trim() : '';
                   const done = document.querySelectorAll('#chat a.cite').length > before &&
                                document.querySelectorAll('#sources details.cited').length > 0;
                   if (text && !done) partial = true;
                   if (done || Date.now() - t0 > limit) resolve(partial); else setTimeout(tick, 50);
                 };
                 tick();
               })""",
            [links_before, timeout_ms],
        )
    )


def test_ask_stream_cite_and_follow_up(app_url, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1050}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    page = context.new_page()
    page.goto(app_url)
    status = page.locator("#index-status")
    if "✓" not in status.inner_text():  # index still building: a clear Chinese message, not an answer
        ask(page, QUESTION)
        page.wait_for_function("document.querySelector('#chat').innerText.includes('索引尚未就绪')", timeout=60_000)
        page.locator("#clear").click()
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('✓')", timeout=900_000)
    assert "索引" in status.inner_text()

    ask(page, "   ")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('问题为空')", timeout=60_000)
    page.locator("#clear").click()
    page.wait_for_function("document.querySelectorAll('#chat .message').length === 0", timeout=30_000)

    ask(page, QUESTION)
    streamed = wait_for_final_answer(page, 0, 300_000)
    links = page.locator("#chat a.cite")
    assert links.count() >= 1, last_bot_text(page)
    assert streamed, "the answer should appear piece by piece before the citations are checked"
    answer = last_bot_text(page)
    assert "510.3" in answer, answer
    href = links.first.get_attribute("href")
    source = page.locator(f"#sources {href}")
    assert source.count() == 1 and "《" in source.inner_text() and ">" in source.inner_text()
    assert source.locator("mark").count() == 1, "the supporting span is highlighted"
    page.locator("#copy").click()
    page.wait_for_function("navigator.clipboard.readText().then((t) => t.includes('510.3'))", timeout=10_000)
    page.evaluate(f"document.querySelector('#sources {href}').open = false")
    links.first.click()
    page.wait_for_function(f"document.querySelector('#sources {href}').open === true", timeout=10_000)

    ask(page, FOLLOW_UP)
    wait_for_final_answer(page, links.count(), 300_000)
    follow = last_bot_text(page)
    assert "按上下文理解为" in follow and "平度" in follow, follow
    cited = page.locator("#sources details.cited")
    assert cited.count() >= 1 and all("平度" in cited.nth(i).inner_text() for i in range(cited.count()))
    page.wait_for_timeout(500)
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")
    assert shot.stat().st_size > 10_000
