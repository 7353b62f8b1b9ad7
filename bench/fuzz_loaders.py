"""Hostile files and a loader fuzzer, both under the limits the indexer applies to every file.

Builders: every hostile case of docs/robustness.md, made on the fly at a given scale (the tests build them
small, `--cases` builds them at full size); no file of them is kept in the repository.

Fuzzing: small good seeds of every format (.txt .md .pdf .docx .html) and the hostile cases are mutated by
Hypothesis (byte flips, cut-offs, inserted and repeated spans) and each mutant is read by the format's
loader in the isolated worker (rag.formats.worker) with the settings' memory and time limits. An input is
  refused  - the loader said why in Chinese (InputError): the expected outcome for garbage;
  ok       - read into a Document;
  crash    - the worker died (signal, native abort) or the loader raised something else than InputError;
  hang     - the time limit killed it; memory - the memory limit killed it.

    flock /tmp/rag-heavy.lock env PYTHONPATH=$PWD .venv/bin/python bench/fuzz_loaders.py --seconds 1800
    flock /tmp/rag-heavy.lock env PYTHONPATH=$PWD .venv/bin/python bench/fuzz_loaders.py --cases
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD_TEXT = "甲县发展规划\n第一章 总则\n甲县2020年地区生产总值为80亿元，到2025年达到120亿元。\n第二章 产业\n发展新材料产业。\n"

# ---- PDF by hand: only the objects each case needs -----------------------------------------------


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


def _big_stream(piece: bytes, count: int) -> bytes:
    """A FlateDecode stream of `piece` repeated `count` times, compressed piecewise (never held inflated)."""
    packer, parts, block = zlib.compressobj(9), [], piece * max(1, (1 << 20) // len(piece))
    done = 0
    while done < count:
        n = min(count - done, len(block) // len(piece))
        parts.append(packer.compress(block[: n * len(piece)]))
        done += n
    parts.append(packer.flush())
    packed = b"".join(parts)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def make_pdf(contents: list[bytes], xobject: bytes | None = None, raw_content: bytes | None = None) -> bytes:
    """Pages with the given content streams (Helvetica as /F1, an optional form XObject as /Fm); one
    `raw_content` stream object, already packed, replaces every page's own."""
    n = len(contents)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(n)), n),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               _stream(xobject, b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] ") if xobject else b"<< >>"]
    resources = b"<< /Font << /F1 3 0 R >> /XObject << /Fm 4 0 R >> >>" if xobject else b"<< /Font << /F1 3 0 R >> >>"
    shared = 5 + 2 * n
    for i, content in enumerate(contents):
        target = shared if raw_content is not None else 6 + 2 * i
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R >>" % (resources, target))
        objects.append(_stream(content) if raw_content is None else b"null")
    if raw_content is not None:
        objects.append(raw_content)
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def text_pdf() -> bytes:
    lines = [b"County plan 2021-2025", b"Chapter 1 GDP was 80 billion yuan in 2020.", b"Chapter 2 new materials industry."]
    body = b"BT /F1 12 Tf 72 720 Td 16 TL " + b" ".join(b"(%s) Tj T*" % line for line in lines) + b" ET"
    return make_pdf([body, b"BT /F1 12 Tf 72 720 Td (Page two: 120 billion yuan by 2025.) Tj ET"])


# ---- .docx by hand: python-docx's own template, a generated body ---------------------------------


def make_docx(body_xml: str | None = None, inflate_to: int = 0) -> bytes:
    """python-docx's default document (its styles.xml: the style table real files carry) with the given
    body; `inflate_to` pads word/document.xml with that many spaces (a zip bomb), written piecewise."""
    from docx import Document

    template = io.BytesIO()
    Document().save(template)
    body = body_xml or "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in GOOD_TEXT.splitlines())
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
            '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
    out = io.BytesIO()
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info))
        with dst.open("word/document.xml", "w", force_zip64=inflate_to > 2**31) as fh:
            fh.write(head.encode())
            pad, left = b" " * (1 << 20), inflate_to
            while left > 0:
                fh.write(pad[: min(left, len(pad))])
                left -= len(pad)
            fh.write((body + "</w:body></w:document>").encode())
    return out.getvalue()


def paragraphs_docx(count: int) -> bytes:
    """`count` short styled paragraphs: python-docx looks each paragraph's style up in the style table."""
    para = '<w:p><w:pPr><w:pStyle w:val="ListParagraph"/></w:pPr><w:r><w:t>第{0}项 发展新材料产业。</w:t></w:r></w:p>'
    return make_docx("".join(para.format(i) for i in range(count)))


def html_page(text: str = GOOD_TEXT) -> str:
    title, *lines = text.splitlines()
    body = "".join(f"<p>{line}</p>" for line in lines)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


# ---- the hostile cases of docs/robustness.md -------------------------------------------------------


@dataclass
class Case:
    name: str
    files: dict  # relative name (str, or bytes for a name that is not UTF-8) -> content (bytes)
    note: str = ""


def hostile_cases(scale: float = 1.0) -> list[Case]:
    """Each case's file(s) at `scale` (1.0: the sizes of the report; tests use ~0.001-0.01)."""
    segments = max(1000, int(40_000_000 * scale))
    form = b"0 0 m 612 792 l S\n" * 10_000
    return [
        Case("empty table row", {"table.txt": "第一章 说明\n| | |\n正文。\n".encode()}),
        Case("non-UTF-8 name", {"规划文件".encode("gbk") + b".txt": GOOD_TEXT.replace("甲", "丙").encode()}),
        Case("40M line segments, 1 page", {"lines.pdf": make_pdf([b""], raw_content=_big_stream(b"0 0 m 1 1 l S\n", segments))}),
        Case("line segments by a form drawn 4000x", {"form.pdf": make_pdf([b"/Fm Do\n" * max(2, segments // 10_000)], xobject=form)}),
        Case("10,000 blank pages", {"blank.pdf": make_pdf([b""] * max(20, int(10_000 * scale)))}),
        Case("100,000 short paragraphs .docx", {"paras.docx": paragraphs_docx(max(2000, int(100_000 * scale)))}),
        Case(".docx zip bomb", {"bomb.docx": make_docx(inflate_to=int(4 * 2**30 * scale))}),
        Case("PDF stream inflating to 1.5 GB", {"inflate.pdf": make_pdf([b""], raw_content=_big_stream(b" " * 64, int(1.5 * 2**30 * scale / 64)))}),
        Case("UTF-16 .txt without BOM", {"utf16.txt": GOOD_TEXT.replace("甲", "丁").encode("utf-16-le")}),
        Case("UTF-16 .html with BOM", {"page16.html": html_page(GOOD_TEXT.replace("甲", "戊")).encode("utf-16")}),
        Case("hidden file and folder", {".hidden.txt": GOOD_TEXT.encode(), ".drafts/plan.txt": GOOD_TEXT.replace("甲", "乙").encode()}),
    ]


def write_case(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)


def good_seeds() -> dict[str, bytes]:
    """One small good file per format: the fuzzer's seeds, and the good file beside every hostile one."""
    return {"good.txt": GOOD_TEXT.encode("gbk"), "good.md": ("# " + GOOD_TEXT).encode(),
            "good.pdf": text_pdf(), "good.docx": make_docx(), "good.html": html_page().encode()}


# ---- `--cases`: each hostile case beside a good file, through `rag index` as a user runs it ----------


def _time_v(stderr: str, key: str) -> str:
    return next((line.split(": ", 1)[1] for line in stderr.splitlines() if line.strip().startswith(key)), "")


def run_case(case: Case, pythonpath: str, timeout: int, address_gb: float = 6.0, per_file: bool = False) -> dict:
    """`rag index` on the good file plus the case's file(s), in a fresh index, under `timeout` and an
    address-space cap: exit code, seconds, peak RSS of the largest process, and what the user read."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "good.txt").write_bytes(good_seeds()["good.txt"])
        write_case(case, corpus)
        env = {**os.environ, "PYTHONPATH": pythonpath, "RAG_INDEX_DIR": f"{tmp}/index", "RAG_CORPUS_DIR": str(corpus)}
        command = (f"ulimit -v {int(address_gb * 2**20)}; exec /usr/bin/time -v timeout {timeout} "
                   f"{sys.executable} -m rag.cli index")
        started = time.perf_counter()
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, errors="replace")
        seconds = time.perf_counter() - started
        shown = (done.stdout + done.stderr.split("\tCommand being timed")[0]).strip().splitlines()
        files = _per_file(corpus) if per_file else []
        return {"case": case.name, "exit": done.returncode, "seconds": round(seconds, 1),
                "cpu_s": round(float(_time_v(done.stderr, "User time") or 0) + float(_time_v(done.stderr, "System time") or 0), 1),
                "peak_mb": round(int(_time_v(done.stderr, "Maximum resident set size") or 0) / 1024),
                "traceback": any("Traceback" in line for line in shown),
                "shown": [line[:300] for line in shown if line.strip()][-12:], "files": files}


def _per_file(corpus: Path) -> list[dict]:
    """Each of the case's files read alone in the worker with the default settings' limits: outcome,
    seconds and the worker's peak resident memory for that file (VmHWM)."""
    from rag.config import Settings
    from rag.loaders import display_path, limits_for
    from rag.formats.worker import run_isolated

    rows = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "good.txt"):
        for check in (False, True):  # as indexing reads it, then as the upload check looks at it
            outcome = run_isolated(path, corpus, limits_for(Settings()), corpus.parent / "per-file.log", check=check)
            rows.append({"file": display_path(path, corpus), "check": check, "status": outcome.status,
                         "seconds": round(outcome.seconds, 1), "peak_mb": round(outcome.peak_mb), "error": outcome.error[:200]})
    return rows


# ---- fuzzing ----------------------------------------------------------------------------------------------

MAX_INPUT = 4 << 20
_OPS = ("flip", "cut", "insert", "repeat", "delete")


class _TimeUp(Exception):
    pass


def fuzz_seeds(scale: float = 0.001) -> dict[str, bytes]:
    """The good seeds and the hostile cases (small), each a file name -> bytes."""
    seeds = dict(good_seeds())
    for case in hostile_cases(scale):
        for name, content in case.files.items():
            if isinstance(name, str) and len(content) <= MAX_INPUT:
                seeds[f"{case.name}/{Path(name).name}"] = content
    return seeds


def mutate(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    """Byte-level edits: flip a byte, cut the tail, insert, repeat or delete a span (capped at MAX_INPUT)."""
    out = bytearray(data)
    for op, where, blob in edits:
        at = where % (len(out) + 1)
        if op == "flip" and out:
            out[min(at, len(out) - 1)] ^= blob[0] if blob else 0xFF
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = blob
        elif op == "repeat":
            span = bytes(out[at : at + len(blob) + 1])
            out[at:at] = span * min(len(blob) + 2, MAX_INPUT // max(1, len(span)) // 4)
        elif op == "delete":
            del out[at : at + len(blob) + 1]
        del out[MAX_INPUT:]
    return bytes(out)


def _mutated(name: str, data: bytes, edits: list, inner: bool) -> bytes:
    """A .docx is mutated inside (its document.xml, re-zipped) as often as outside: byte edits of the
    zip alone mostly stop at the zip check and never reach the XML reader."""
    if not (inner and name.endswith(".docx")):
        return mutate(data, edits)
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                part = src.read(info)
                dst.writestr(info.filename, mutate(part, edits) if info.filename == "word/document.xml" else part)
    except (zipfile.BadZipFile, OSError, ValueError):
        return mutate(data, edits)
    return out.getvalue()


def fuzz(seconds: float, limits, work: Path, seeds: dict[str, bytes] | None = None, progress: bool = False) -> dict:
    """Mutants of the seeds, read one by one by their format's loader in the worker under `limits`, for
    `seconds`. Returns the counts per outcome, the peak memory of any one read and the failing inputs
    (saved under work/found/)."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    from rag.formats.worker import run_isolated

    seeds = seeds or fuzz_seeds()
    counts: Counter = Counter()
    summary: dict = {"peak_mb": 0.0, "slowest_s": 0.0, "examples": []}
    deadline = time.monotonic() + seconds
    edits = st.lists(st.tuples(st.sampled_from(_OPS), st.integers(0, 2**31), st.binary(max_size=48)), min_size=1, max_size=6)
    (work / "found").mkdir(parents=True, exist_ok=True)

    @hsettings(max_examples=10**9, deadline=None, database=None, phases=[Phase.generate],
               suppress_health_check=list(HealthCheck), print_blob=False)
    @given(st.sampled_from(sorted(seeds)), edits, st.booleans())
    def one(name: str, changes: list, inner: bool) -> None:
        if time.monotonic() > deadline:
            raise _TimeUp
        data = _mutated(name, seeds[name], changes, inner)
        path = work / ("input" + Path(name).suffix)
        path.write_bytes(data)
        outcome = run_isolated(path, work, limits, work / "fuzz.log")
        counts["inputs"] += 1
        counts[outcome.status] += 1
        summary["peak_mb"] = max(summary["peak_mb"], outcome.peak_mb)
        summary["slowest_s"] = max(summary["slowest_s"], outcome.seconds)
        if outcome.status in ("crash", "hang", "memory"):
            kept = work / "found" / f"{counts['inputs']:06d}-{outcome.status}{Path(name).suffix}"
            kept.write_bytes(data)
            summary["examples"].append({"seed": name, "status": outcome.status, "file": str(kept), "error": outcome.error})
        if progress and counts["inputs"] % 100 == 0:
            print(json.dumps(dict(counts), ensure_ascii=False), file=sys.stderr, flush=True)

    try:
        one()
    except _TimeUp:
        pass
    return {"seconds": seconds, **{k: counts[k] for k in ("inputs", "ok", "refused", "crash", "hang", "memory")}, **summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", action="store_true", help="run every hostile case through `rag index`")
    parser.add_argument("--only", help="cases whose name contains this")
    parser.add_argument("--skip", help="not the cases whose name contains this")
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--pythonpath", default=str(ROOT), help="the rag package to measure (a copy of an older tree)")
    parser.add_argument("--out", help="append JSON lines here")
    parser.add_argument("--seconds", type=float, default=0, help="fuzz for this long")
    parser.add_argument("--hang-seconds", type=float, default=60, help="a read taking longer counts as a hang")
    parser.add_argument("--ocr-seconds", type=float, default=5, help="OCR budget per input (the setting's default is 600)")
    args = parser.parse_args()
    if args.seconds:
        from rag.config import Settings
        from rag.loaders import limits_for

        settings = Settings(file_seconds=args.hang_seconds, ocr_seconds=args.ocr_seconds)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.process_time()
            summary = fuzz(args.seconds, limits_for(settings), Path(tmp), progress=True)
            from rag.formats.worker import shutdown

            shutdown()
            summary["parent_cpu_s"] = round(time.process_time() - started, 1)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            summary["workers_cpu_s"] = round(children.ru_utime + children.ru_stime, 1)
            summary["limits"] = {"max_file_mb": settings.max_file_mb, "file_memory_mb": settings.file_memory_mb,
                                 "file_seconds": settings.file_seconds, "ocr_seconds": settings.ocr_seconds}
            found = [e["file"] for e in summary["examples"]]
            if found:
                keep = ROOT / "bench" / "results" / "fuzz-found"
                keep.mkdir(parents=True, exist_ok=True)
                for f in found:
                    shutil.copy(f, keep)
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(summary, ensure_ascii=False) + "\n")
    if args.cases:
        for case in hostile_cases():
            if (args.only and args.only not in case.name) or (args.skip and args.skip in case.name):
                continue
            row = run_case(case, args.pythonpath, args.timeout, per_file=args.pythonpath == str(ROOT))
            print(json.dumps(row, ensure_ascii=False), flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
