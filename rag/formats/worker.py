"""Each file is read in a worker process, so that a parser's crash, native abort, memory blow-up or endless
loop costs that file only: the indexer (and the app it runs in) stays up, the file is skipped with a
Chinese reason and the rest of the corpus is indexed.

A worker is a plain `python -m rag.formats.worker` speaking pickle over its stdin/stdout, reused from file
to file (its libraries load once) and ended when a file goes wrong or it idles. Per file it runs under
`Limits`: the parent, looking every 50 ms, ends it when its resident memory passes `memory_mb` or the
file takes over `seconds`. Its address space is capped too, well above (shared libraries such as
OpenBLAS map hundreds of megabytes they never touch), as a backstop against an allocation too fast for
the parent to see.
Its native stdout/stderr (PDFium's "Data format error"), library logging and tracebacks go to a log file;
only the readers' own Chinese warnings and the OCR progress line reach the user's stderr."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.formats.base import Limits, display_path
from rag.types import Document

log = logging.getLogger(__name__)
IDLE_SECONDS = 300  # a worker with nothing to read for this long exits
POLL_SECONDS = 0.05  # how often the parent looks at a working worker's memory
RETIRE_MB = 1024  # a worker left this large after a file is replaced rather than reused
LOG_BYTES = 10 << 20  # the log file is rotated past this size (one old copy kept)
MB = 1 << 20


@dataclass
class Outcome:
    """What reading one file came to. status: ok | refused (the reader said why) | crash (the worker died
    or the reader failed unexpectedly) | hang (over the time limit) | memory (over the memory limit)."""

    document: Document | None
    status: str
    error: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0

    def result(self) -> Document:
        if self.document is None and self.status != "ok":
            raise InputError(self.error)
        return self.document  # type: ignore[return-value]


def _status_kb(pid: int | str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# ---- parent side ------------------------------------------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, "MALLOC_ARENA_MAX": "2", "PYTHONWARNINGS": "ignore"}
        self.proc = subprocess.Popen([sys.executable, "-m", "rag.formats.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mb(self) -> float:
        return _status_kb(self.proc.pid, "VmRSS") / 1024

    def end(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def ask(self, request: dict, limits: Limits, name: str) -> Outcome:
        started, peak = time.monotonic(), 0.0
        pickle.dump(request, self.proc.stdin)
        self.proc.stdin.flush()  # type: ignore[union-attr]
        while True:
            if select.select([self.proc.stdout], [], [], POLL_SECONDS)[0]:
                try:
                    status, payload, peak_mb = pickle.load(self.proc.stdout)  # type: ignore[arg-type]
                except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
                    self.end()
                    log.info("worker died reading %s (exit %s)", name, self.proc.returncode)
                    return Outcome(None, "crash", _died(name, limits), time.monotonic() - started, peak)
                seconds = time.monotonic() - started
                if status == "ok":
                    return Outcome(payload, "ok", "", seconds, peak_mb)
                return Outcome(None, status, payload, seconds, peak_mb)
            peak = max(peak, self.rss_mb())
            if peak > limits.memory_mb:
                self.end()
                return Outcome(None, "memory", _too_big(name, limits), time.monotonic() - started, peak)
            if time.monotonic() - started > limits.seconds:
                self.end()
                return Outcome(None, "hang", _too_slow(name, limits), time.monotonic() - started, peak)


def _died(name: str, limits: Limits) -> str:
    return (f"读取文件 {name} 时解析组件异常终止（可能需要超过 {limits.memory_mb} MB 内存，或文件已损坏、是异常构造的），"
            "已跳过；其他文件不受影响。")


def _too_big(name: str, limits: Limits) -> str:
    return f"读取文件 {name} 需要超过 {limits.memory_mb} MB 内存（上限 file_memory_mb），已跳过；文件可能是异常构造的。"


def _too_slow(name: str, limits: Limits) -> str:
    return f"读取文件 {name} 超过 {limits.seconds:.0f} 秒仍未完成（上限 file_seconds），已跳过；文件可能是异常构造的。"


_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def _take() -> _Worker:
    with _idle_lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                return worker
            worker.end()
    return _Worker()


def _give_back(worker: _Worker, outcome: Outcome) -> None:
    if outcome.status in ("ok", "refused") and worker.alive() and worker.rss_mb() < RETIRE_MB:
        with _idle_lock:
            _idle.append(worker)
    else:
        worker.end()


@atexit.register
def shutdown() -> None:
    """End the idle workers (they would also exit on their own after IDLE_SECONDS)."""
    with _idle_lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.end()


def run_isolated(path: Path, root: Path, limits: Limits, log_file: Path | None = None, check: bool = False) -> Outcome:
    """Read (or, with `check`, look over as an upload check does) one file in a worker under `limits`;
    never raises for what the file does. Threads may call it at once: each gets its own worker."""
    name = display_path(Path(path), Path(root))
    request = {"path": os.fspath(path), "root": os.fspath(root), "limits": limits, "check": check,
               "log_file": os.fspath(log_file) if log_file else None}
    for attempt in range(2):  # an idle worker may have exited on its own since: start a fresh one once
        worker = _take()
        try:
            outcome = worker.ask(request, limits, name)
        except (BrokenPipeError, ConnectionResetError):
            worker.end()
            if attempt:
                raise
            continue
        _give_back(worker, outcome)
        log.info("read %s in a worker: %s, %.1f s, peak %.0f MB", name, outcome.status, outcome.seconds, outcome.peak_mb)
        return outcome
    raise AssertionError("unreachable")


# ---- worker side ------------------------------------------------------------------------------------


class _Output:
    """Where the worker's output goes: fds 1 and 2 (native code) and library logging to the log file,
    the `rag` loggers' warnings and the OCR progress line to the user's stderr."""

    def __init__(self) -> None:
        self.protocol = os.fdopen(os.dup(1), "wb")
        sys.stderr = os.fdopen(os.dup(2), "w", encoding="utf-8", errors="replace", buffering=1)
        sys.stdout = os.fdopen(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # a stray print()
        self.log_file: str | None = ""
        self.handler: logging.Handler | None = None
        user = logging.StreamHandler(sys.stderr)
        user.setLevel(logging.WARNING)
        user.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("rag").addHandler(user)
        logging.getLogger().setLevel(logging.INFO)
        logging.captureWarnings(True)
        self.route(None)

    def route(self, log_file: str | None) -> None:
        if log_file == self.log_file:
            return
        self.log_file = log_file
        if log_file:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            if os.path.exists(log_file) and os.path.getsize(log_file) > LOG_BYTES:
                os.replace(log_file, log_file + ".1")
        fd = os.open(log_file or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        root = logging.getLogger()
        if self.handler:
            root.removeHandler(self.handler)
            self.handler.close()
        self.handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.NullHandler()
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        root.addHandler(self.handler)


def _read(request: dict) -> tuple[str, object]:
    from rag.formats import check_file, load

    path, root, limits = Path(request["path"]), Path(request["root"]), request["limits"]
    name = display_path(path, root)
    if display_path(path, root) != path.relative_to(root).as_posix():
        logging.getLogger("rag.formats").warning("%s：文件名不是 UTF-8 编码（可能来自 Windows 的压缩包），按此名称索引；建议重命名", name)
    try:
        if request["check"]:
            check_file(path, limits)
            return "ok", None
        return "ok", load(path, root, limits=limits)
    except InputError as exc:
        return "refused", str(exc)
    except MemoryError:
        return "memory", _too_big(name, limits)
    except OSError as exc:  # the file vanished, is locked or unreadable since it was listed
        log.info("reading %s failed", name, exc_info=exc)
        return "refused", f"无法读取文件 {name}；请检查文件是否存在、权限是否允许，或是否正被其他程序占用。"
    except Exception as exc:  # noqa: BLE001 - any reader failure costs this file only
        log.info("reading %s failed", name, exc_info=exc)
        return "crash", f"读取文件 {name} 时出错，已跳过；文件可能已损坏（详情见日志 {request['log_file'] or '（未记录）'}）。"


def _serve_one(output: _Output, request: dict) -> bool:
    """Read one file under its limits and reply; False when this worker should not be reused."""
    output.route(request["log_file"])
    limits: Limits = request["limits"]
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _status_kb("self", "VmSize") * 1024 + max(4 * limits.memory_mb, 4096) * MB  # a backstop: see the docstring
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # restart the peak-RSS count (VmHWM) for this file
    except OSError:
        pass
    try:
        status, payload = _read(request)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    pickle.dump((status, payload, _status_kb("self", "VmHWM") / 1024), output.protocol, protocol=pickle.HIGHEST_PROTOCOL)
    output.protocol.flush()
    return status in ("ok", "refused")


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends its workers
    output = _Output()
    requests = sys.stdin.buffer
    while select.select([requests], [], [], IDLE_SECONDS)[0]:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        if not _serve_one(output, request):
            return


if __name__ == "__main__":
    main()
