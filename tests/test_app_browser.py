"""The page in a real browser: the app runs as a subprocess on a free port, building its index from seeds/
into a temporary folder; Debian's headless Chromium (driven by Playwright, no downloaded browser) checks the
question box's keys (Enter asks, Shift+Enter adds a line, an IME-confirming Enter does not ask), asks a
question with Enter, sees the excerpt before the model's text, waits for the streamed answer, follows an [n]
link to its source, asks a follow-up, follows an [n] of the FIRST answer to that answer's source and saves a
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


ANSWER_LINKS = "#chat a.cite:not(.excerpt a)"  # the [n] of the answers, not those of the excerpts


def answer_links(page) -> int:
    return page.locator(ANSWER_LINKS).count()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def wait_for_final_answer(page, links_before: int, timeout_ms: int) -> dict:
    """Wait for the checked answer (new [n] links outside the excerpt and a cited source; the sources panel
    marks passages as cited only once the answer is final). Returns when, in seconds from the call, the
    excerpt and the model's first text appeared in the last answer (None if never seen) and it was final."""
    return page.evaluate(
        """([before, limit, selector]) => new Promise((resolve) => {
             const t0 = Date.now(); const seen = {excerpt: null, text: null, done: null};
             const tick = () => {
               const bots = document.querySelectorAll('#chat .message.bot');
               const bot = bots.length ? bots[bots.length - 1] : null;
               const done = document.querySelectorAll(selector).length > before && document.querySelectorAll('#sources .turn:not([hidden]) details.cited').length > 0;
               const at = (Date.now() - t0) / 1000;
               if (bot && bot.querySelector('.excerpt') && seen.excerpt === null) seen.excerpt = at;
               if (bot && seen.text === null) {
                 const copy = bot.cloneNode(true);
                 copy.querySelectorAll('.excerpt, .pending').forEach((e) => e.remove());
                 if (copy.innerText.trim()) seen.text = at;
               }
               if (done) { seen.done = at; resolve(seen); }
               else if (Date.now() - t0 > limit) resolve(seen); else setTimeout(tick, 25);
             };
             tick();
           })""",
        [links_before, timeout_ms, ANSWER_LINKS],
    )


def check_question_keys(page) -> None:
    """Shift+Enter adds a line and an Enter that confirms an IME candidate is left to the IME: neither asks."""
    box = page.locator("#question textarea")
    box.fill("高密")
    box.press("Shift+Enter")
    box.press_sequentially("市")
    assert box.input_value() == "高密\n市"
    for init in ("{key: 'Enter', code: 'Enter', isComposing: true}", "{key: 'Enter', code: 'Enter', keyCode: 229}"):
        box.evaluate(f"(el) => el.dispatchEvent(new KeyboardEvent('keydown', {{...{init}, bubbles: true, cancelable: true}}))")
    page.wait_for_timeout(2000)
    assert page.locator("#chat .message").count() == 0, "Shift+Enter or a composing Enter must not ask"
    assert box.input_value() == "高密\n市"


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

    check_question_keys(page)
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#question textarea").press("Enter")  # Enter asks
    seen = wait_for_final_answer(page, 0, 300_000)
    print(f"\nfirst question, seconds after Enter: excerpt {seen['excerpt']}, model text {seen['text']}, final {seen['done']}")
    links = page.locator(ANSWER_LINKS)
    assert links.count() >= 1, last_bot_text(page)
    assert seen["excerpt"] is not None and seen["text"] is not None and seen["done"] is not None, seen
    # the excerpt first, then the answer (one written in code from the figure index may come in the same instant)
    assert seen["excerpt"] <= seen["text"] <= seen["done"], f"excerpt first, then the answer: {seen}"
    answer = last_bot_text(page)
    assert "510.3" in answer and answer.index("原文摘录") < answer.index("510.3"), answer
    assert page.locator("#question textarea").input_value() == ""
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
    wait_for_final_answer(page, answer_links(page), 300_000)
    follow = last_bot_text(page)
    assert "按上下文理解为" in follow and "平度" in follow, follow
    cited = page.locator("#sources details.cited")
    visible = [cited.nth(i) for i in range(cited.count()) if cited.nth(i).is_visible()]
    assert visible and all("平度" in c.inner_text() for c in visible)
    shot = tmp_path / "screenshot.png"
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot), full_page=True)

    first = page.locator("#chat .message.bot").first.locator("a.cite:not(.excerpt a)").first
    first_href = first.get_attribute("href")
    assert first_href == href, "the first answer's [n] keeps pointing at the first answer's sources"
    first.click()  # an earlier answer's [n]: its own source, not the follow-up's
    page.wait_for_function(f"document.querySelector('#sources {href}').open === true", timeout=10_000)
    assert page.locator(f"#sources {href}").is_visible() and "高密" in page.locator(f"#sources {href}").inner_text()
    assert not page.locator("#sources #turn-2").is_visible() and page.locator("#sources #turn-1").is_visible()
    page.screenshot(path=str(tmp_path / "earlier-source.png"), full_page=True)
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")
    assert shot.stat().st_size > 10_000
