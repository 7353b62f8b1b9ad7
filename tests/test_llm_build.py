"""The llama.cpp build the Makefile makes: one wheel whose CPU backend variant is chosen at run time. The
variant this process runs must be the one docs/performance.md names for this CPU, and the AVX2 variant
(what a machine without AVX-512 gets) must still answer with the real model when forced."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rag.llm_build import cpu_flags, cpu_variant, system_info

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `([\w.]+)` \| ([a-z0-9_ ]+) \|$", re.M)


def documented_variants() -> list[tuple[str, set[str]]]:
    """docs/performance.md's table of variants, best first, each with the CPU flags it needs."""
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    section = text.split("### Which CPU code runs", 1)[1].split("\n#", 1)[0]
    return [(name, set(flags.split())) for name, flags in ROW.findall(section)]


def expected_variant(flags: set[str]) -> str | None:
    return next((name for name, needs in documented_variants() if needs <= flags), None)


def test_docs_and_makefile_name_the_same_variants():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    built = re.search(r"^LLAMA_CPU_VARIANTS := (.+)$", makefile, re.M).group(1).split(";")
    assert sorted(built) == sorted(name for name, _ in documented_variants())
    assert "sapphirerapids" not in built  # the AMX variant stays out, see docs/performance.md


def test_documented_rule_picks_avx2_on_a_machine_without_avx512():
    avx2_only = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"}
    assert expected_variant(avx2_only) == "haswell"
    assert expected_variant(avx2_only | {"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"}) == "haswell"
    assert expected_variant(cpu_flags()) is not None, "this CPU has no variant in the build (AVX2 is needed)"


def test_variant_in_use_is_the_one_documented_for_this_cpu():
    variant = cpu_variant()
    assert variant == expected_variant(cpu_flags()), f"llama.cpp runs {variant}; is the Makefile's wheel installed?"
    info = system_info()
    assert "AVX2 = 1" in info
    assert ("AVX512 = 1" in info) == (variant == "zen4"), info
    assert "AMX_INT8 = 1" not in info


def _run(variant: str | None, code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("GGML_CPU_VARIANT", None)
    if variant:
        env["GGML_CPU_VARIANT"] = variant
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)


LOAD = """
from rag.config import load_settings
from rag.llm import load_generator
load_generator(load_settings(env={}).with_overrides(n_ctx=512))
"""


def test_a_variant_this_build_lacks_is_refused_with_a_clear_message():
    done = _run("no-such-variant", LOAD)
    assert done.returncode != 0
    assert "ModelError" in done.stderr and "llama.cpp 无法在这台机器的 CPU 上运行" in done.stderr, done.stderr[-2000:]
    assert "GGML_CPU_VARIANT=no-such-variant" in done.stderr


ANSWER = """
import json
from rag.config import load_settings
from rag.llm import load_generator
from rag.llm_build import cpu_variant, system_info
gen = load_generator(load_settings(env={}).with_overrides(n_ctx=512))
question = "资料：[1] 2025年全市地区生产总值比上年增长6.2%。\\n\\n问题：2025年全市地区生产总值增长多少？"
answer = "".join(gen.stream([{"role": "user", "content": question}], 24, 0.0))
print(json.dumps({"variant": cpu_variant(), "info": system_info(), "answer": answer}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("forced", [None, "haswell"], ids=["best-for-this-cpu", "forced-avx2-fallback"])
def test_the_real_model_loads_and_answers(forced):
    """The wheel's own choice, and the AVX2 variant a machine without AVX-512 gets, forced here."""
    done = _run(forced, ANSWER)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = forced or expected_variant(cpu_flags())
    assert result["variant"] == expected
    assert "AVX2 = 1" in result["info"] and ("AVX512 = 1" in result["info"]) == (expected == "zen4")
    assert "6.2" in result["answer"], result["answer"]
    assert "load_backend" not in done.stderr  # ggml's "loaded CPU backend" line is not printed to users
