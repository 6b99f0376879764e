"""`engram doctor`: what this machine lets Engram see and run, for a user to read or paste into a
bug report. It captures nothing and stores nothing: the monitors are listed, not grabbed; the
active window is asked for, not read; OCR reads a picture it draws itself; the embedding model
and the search index run on one made-up sentence, in memory.

The language model is not loaded (a 1 GB model takes seconds and memory): its file is checked and
llama.cpp's libraries are loaded. Which model is active needs the data directory's settings; they
are read only when Engram opens without asking (the key in the keyring, or $ENGRAM_PASSPHRASE)."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from app import keycache, runtime
from app.errors import AppError
from app.paths import Paths

OCR_SAMPLE = "Engram doctor 4217"  # drawn, then read back: a working OCR reads it whole
TITLE_HIDDEN = "(hidden)"


@dataclass(frozen=True)
class Check:
    """One line of the report: `ok` True, False (a problem), or None (nothing to judge)."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class MonitorSeen:
    """A monitor as capture would grab it, in virtual-desktop pixels."""

    index: int
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class WindowSeen:
    """The active window as the window module reports it (geometry: x, y, width, height)."""

    app: str
    title: str
    url: str
    pid: int | None
    geometry: tuple[int, int, int, int] | None
    private: bool
    locked: bool


@dataclass(frozen=True)
class Report:
    """Everything `engram doctor` says; `problems` names the checks that failed."""

    engram: str
    install: str  # "frozen" | "source"
    executable: str
    system: str
    python: str
    machine: str  # cores and memory, and the model tier they get
    session: str  # X11, Wayland, macOS, Windows, and how it was told
    data_dir: str
    data_initialized: bool
    free_bytes: int | None
    screen: Check
    monitors: list[MonitorSeen] = field(default_factory=list)
    active_window: WindowSeen | None = None
    visible_windows: int = 0
    idle_seconds: float = 0.0
    access: list[Check] = field(default_factory=list)
    components: list[Check] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [c.name for c in (self.screen, *self.access, *self.components) if c.ok is False]


def examine(paths: Paths, *, hide_titles: bool = False, components: bool = True) -> Report:
    """Look at this machine as capture and the memory pipeline would; never raises for a missing
    piece (it becomes a failed check). `hide_titles` keeps window titles out of the report;
    `components` False skips loading OCR, the embedding model and llama.cpp (a second or more)."""
    import capture
    from app import models

    capture.release()  # a fresh connection to the display the environment names now
    problem, warning = capture.screen_problem(), capture.screen_warning()
    monitors: list[MonitorSeen] = []
    if problem:
        screen = Check("screen", False, problem)
    else:
        source = capture.MssFrameSource()
        try:
            monitors = [MonitorSeen(m.index, m.left, m.top, m.width, m.height) for m in source.monitors()]
            screen = Check("screen", bool(monitors), (warning or f"{len(monitors)} monitor(s) can be captured")
                           if monitors else "no monitor can be captured")
        except capture.ScreenError as exc:
            screen = Check("screen", False, str(exc))
        finally:
            source.close()
    try:
        window = capture.active_window()
        seen = WindowSeen(window.app, _title(window.title, hide_titles), _title(window.url, hide_titles), window.pid,
                          (window.geometry.x, window.geometry.y, window.geometry.width, window.geometry.height)
                          if window.geometry else None, window.private, window.locked)
        visible = len(capture.visible_windows())
        idle = capture.idle_seconds()
        access = [Check(c.name, c.ok, c.detail) for c in capture.access_checks()]
    finally:
        capture.release()
    machine = models.Machine.current()
    return Report(
        engram=_version(), install=runtime.current().kind, executable=str(runtime.current().executable),
        system=_system(), python=f"{platform.python_implementation()} {platform.python_version()}",
        machine=f"{machine.describe()}: the {machine.tier} model tier", session=_session(),
        data_dir=str(paths.root), data_initialized=paths.is_initialized(), free_bytes=_free(paths.root),
        screen=screen, monitors=monitors, active_window=seen, visible_windows=visible, idle_seconds=idle,
        access=[*access, _keyring_check()],
        components=[_ocr(), _embeddings(), _search_index(), _llama(), _language_model(paths)] if components else [],
    )


def _title(text: str, hide: bool) -> str:
    return f"{TITLE_HIDDEN} {len(text)} characters" if hide and text else text


def _version() -> str:
    try:
        return metadata.version("engram")
    except metadata.PackageNotFoundError:
        return "unknown"


def _system() -> str:
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]} ({platform.machine()})"
    if sys.platform == "win32":
        return f"Windows {platform.version()} ({platform.machine()})"
    try:
        name = platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except OSError:
        name = "Linux"
    return f"{name}, kernel {platform.release()} ({platform.machine()})"


def _session() -> str:
    if sys.platform == "darwin":
        return "macOS (Quartz)"
    if sys.platform == "win32":
        return "Windows desktop"
    kind = os.environ.get("XDG_SESSION_TYPE") or ("wayland" if os.environ.get("WAYLAND_DISPLAY") else
                                                  "x11" if os.environ.get("DISPLAY") else "none")
    shown = {"x11": "X11", "wayland": "Wayland", "tty": "a text console", "none": "no graphical session"}
    names = ", ".join(f"{k}={os.environ[k]}" for k in ("DISPLAY", "WAYLAND_DISPLAY") if os.environ.get(k))
    return shown.get(kind, kind) + (f" ({names})" if names else "")


def _free(root: Path) -> int | None:
    folder = root
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _keyring_check() -> Check:
    if keycache.available():
        import keyring

        return Check("keyring", True, f"{type(keyring.get_keyring()).__name__} can remember the key")
    return Check("keyring", None, "no keyring on this system: Engram asks for the passphrase at each start")


def _timed(name: str, body: Callable[[], str]) -> Check:
    """Run `body` (it returns the detail, or raises): a check with the time it took."""
    start = time.monotonic()
    try:
        detail = body()
    except Exception as exc:  # any failure of a component is the finding, not a crash
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    return Check(name, True, f"{detail} ({time.monotonic() - start:.1f} s)")


def _ocr() -> Check:
    def read() -> str:
        import numpy as np
        from PIL import Image, ImageDraw, ImageFont

        from capture import OcrEngine, model_paths

        picture = Image.new("RGB", (440, 72), "white")
        ImageDraw.Draw(picture).text((16, 14), OCR_SAMPLE, fill="black", font=ImageFont.load_default(size=32))
        text = " ".join(line.text for line in OcrEngine().read(np.asarray(picture)))
        if text != OCR_SAMPLE:
            raise AppError(f"read {text!r} from a test picture of {OCR_SAMPLE!r}")
        return f"read {OCR_SAMPLE!r} from a test picture with {', '.join(p.name for p in model_paths())}"

    return _timed("OCR", read)


def _embeddings() -> Check:
    def embed() -> str:
        from memory.embed import MiniLMEmbedder, MultilingualEmbedder

        said = []
        for embedder, text in ((MiniLMEmbedder(), "the budget review is on Thursday"),
                               (MultilingualEmbedder(), "预算评审会议在星期四")):
            vectors = embedder.embed([text])
            said.append(f"{embedder.name}: {vectors.shape[1]} dimensions")
        from memory.language import language_of, stop_words

        # Which questions and notes the multilingual layer reads, and what full text leaves out.
        sample = "Wann ist die Budgetbesprechung?"
        language = language_of(sample)
        if language != "de" or "ist" not in stop_words(language):
            raise RuntimeError(f"language identification read {sample!r} as {language!r}")
        said.append(f"language identification: {sample!r} is German")
        return "; ".join(said)

    return _timed("embedding model", embed)


def _search_index() -> Check:
    def index() -> str:
        import numpy as np

        from memory.vectors import ChromaIndex

        vectors = np.eye(2, 8, dtype=np.float32)
        # In memory (nothing is written), in a collection of its own: in-memory clients of one
        # process share collections, and the app's index must not see these vectors.
        chroma = ChromaIndex(8, collection=f"doctor-{uuid.uuid4().hex}")
        chroma.add(["a", "b"], vectors)
        found = chroma.query(vectors[1], 1)
        if not found or found[0][0] != "b":
            raise AppError(f"a vector was not found again (got {found})")
        return "Chroma, in memory: a vector added was found again"

    return _timed("search index", index)


def _llama() -> Check:
    def load() -> str:
        import llama_cpp

        features = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
        # "CPU : SSE3 = 1 | AVX = 1 | ... | OPENMP = 1 |": the names of what is on
        cpu = [part.split("=")[0].split(":")[-1].strip() for part in features.split("|")
               if part.strip().endswith("= 1")]
        return f"llama-cpp-python {llama_cpp.__version__}; CPU features: {', '.join(cpu[:12]) or features[:120]}"

    return _timed("llama.cpp", load)


def _language_model(paths: Paths) -> Check:
    from app import models
    from app.services import Engram

    try:
        choice, note = models.default_choice(paths, models.Catalog.load()), ""
        if os.environ.get("ENGRAM_MODEL"):
            choice = models.ModelChoice(Path(os.environ["ENGRAM_MODEL"]), "chosen for this run (--model)")
        elif paths.is_initialized():
            try:
                with _open_quietly(paths, Engram) as engram:
                    choice = engram.model_choice()
            except AppError:
                note = ("; Engram is locked, so a model chosen in Settings (which wins) is not shown: "
                        "run 'engram models'")
    except AppError as exc:
        return Check("language model", False, str(exc))
    if choice.path is None:
        return Check("language model", False, f"{choice.reason}: run 'engram models install'")
    try:
        with open(choice.path, "rb") as fh:
            magic = fh.read(4)
        size = choice.path.stat().st_size
    except OSError as exc:
        return Check("language model", False, f"{choice.path} cannot be read ({exc.strerror or exc}); {choice.reason}")
    if magic != b"GGUF":
        return Check("language model", False, f"{choice.path} is not a GGUF file; {choice.reason}")
    return Check("language model", True, f"{choice.path.name} ({size / 1e6:.0f} MB), {choice.reason}{note}")


def _open_quietly(paths: Paths, engram_class):
    """The data directory opened without asking: the key in the keyring, else $ENGRAM_PASSPHRASE."""
    try:
        return engram_class.unlock(paths)
    except AppError:
        passphrase = os.environ.get("ENGRAM_PASSPHRASE")
        if not passphrase:
            raise
        return engram_class.unlock(paths, passphrase, use_keyring=False)
