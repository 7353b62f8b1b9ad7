"""The scale benchmark's watchdog: a child that outgrows its memory bound or its time is stopped, and the
row says why and how far it got (the machine is shared; a 1M-chunk Milvus Lite run must not take it down)."""

import subprocess
import sys

from bench import scale

GROW = """
import sys, time
blocks = []
for i in range(200):
    blocks.append(bytearray(20 * 2**20))
    print(f"progress rows={i + 1} s=0.0 cpu_s=0.0 rss_mb=0", file=sys.stderr, flush=True)
    time.sleep(0.05)
time.sleep(60)
"""


def _start(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_child_over_the_rss_bound_is_killed_and_reports_its_progress():
    proc = _start(GROW)
    reason, seen = scale._watch(proc, timeout=30, max_rss_mb=250)
    assert reason.startswith("stopped by the RSS watchdog") and proc.returncode == -9
    assert 250 < seen["stop_rss_mb"] < 600 and seen["watch_s"] < 15
    rows = int(scale._partial(proc.stderr.read())["partial"]["rows"])
    assert 5 <= rows < 200  # stopped part-way, and the last progress line says where


def test_child_over_its_time_is_killed():
    proc = _start("import time; time.sleep(60)")
    reason, seen = scale._watch(proc, timeout=1, max_rss_mb=10_000)
    assert reason == "stopped after 1 s" and proc.returncode == -9 and seen["watch_s"] < 5


def test_child_that_finishes_is_left_alone():
    proc = _start("print('done')")
    reason, seen = scale._watch(proc, timeout=30, max_rss_mb=10_000)
    assert reason is None and proc.returncode == 0 and "stop_rss_mb" not in seen
