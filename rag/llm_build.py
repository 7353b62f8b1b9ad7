"""Which llama.cpp CPU code this process runs. The wheel the Makefile builds holds one CPU backend per
instruction-set variant (libggml-cpu-haswell.so for AVX2, libggml-cpu-zen4.so for AVX-512 with VNNI/BF16),
and the patched llama_cpp loads the best one for this CPU when it is imported (GGML_CPU_VARIANT=haswell
forces one). docs/performance.md says which variant a CPU gets; tests/test_llm_build.py checks it."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

_VARIANT = re.compile(r"libggml-cpu-([\w.]+)\.so$")


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def cpu_backend_file() -> Path | None:
    """The shared library that holds the CPU backend llama.cpp registered, found from one of its functions
    (several variants may stay mapped after ggml scored them, so /proc/self/maps cannot tell)."""
    from llama_cpp._ggml import libggml

    libggml.ggml_backend_reg_by_name.restype = ctypes.c_void_p
    libggml.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
    libggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    libggml.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    reg = libggml.ggml_backend_reg_by_name(b"CPU")
    if not reg:
        return None
    fn = libggml.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
    info = _DlInfo()
    if not fn or not ctypes.CDLL(None).dladdr(ctypes.c_void_p(fn), ctypes.byref(info)) or not info.dli_fname:
        return None
    return Path(info.dli_fname.decode())


def cpu_variant() -> str:
    """`haswell`, `zen4`, ... for a build with runtime dispatch; `built-in` for a wheel compiled for one
    instruction set (the CPU backend linked into libggml); `none` if no CPU backend is loaded."""
    path = cpu_backend_file()
    if path is None:
        return "none"
    found = _VARIANT.search(path.name)
    return found.group(1) if found else "built-in"


def system_info() -> str:
    """llama.cpp's own line of the instruction sets it was compiled to use (`AVX512 = 1 | ...`)."""
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode("utf-8", "replace")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()
