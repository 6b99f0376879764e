"""What the window holds while it runs: the unlocked data, the event hub, the worker, capture."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.events import Events
from app.models import Catalog
from app.services import Engram
from app.worker import Job, Worker


class CaptureControl(Protocol):
    """What the tray and settings need of the capture daemon (app.daemon.CaptureDaemon)."""

    def pause(self, seconds: float | None = None) -> None: ...
    def resume(self) -> None: ...
    def state(self) -> Any: ...  # a CaptureState (an enum with a string value)
    def health(self) -> Any: ...
    def update_settings(self, settings: Any) -> None: ...
    def stop(self, timeout: float = 60.0) -> None: ...


@dataclass
class Session:
    """One unlocked Engram as the window sees it."""

    engram: Engram
    events: Events
    worker: Worker
    capture: CaptureControl | None = None
    reader: Worker | None = field(default=None, kw_only=True)  # a second thread for quick reads (`read`)
    catalog: Catalog | None = None  # the recommended models (None: the one shipped with Engram)

    def run(self, name: str, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
            failed: Callable[[Exception], None] | None = None, **kwargs: Any) -> Job:
        """Run `fn(engram, *args, **kwargs)` on the worker."""
        return self.worker.submit(name, fn, self.engram, *args, done=done, failed=failed, **kwargs)

    def read(self, name: str, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
             failed: Callable[[Exception], None] | None = None, **kwargs: Any) -> Job:
        """Run a quick read of the store, `fn(engram, *args, **kwargs)`, on the reader, so it does not
        wait behind a long job (an answer, a model load, an import, memory making); on the worker
        without a reader. Only for reads of the store and frames, and searches: the store, the
        embedders and the vector indexes lock themselves; the language models are not shared."""
        lane = self.reader or self.worker
        return lane.submit(name, fn, self.engram, *args, done=done, failed=failed, **kwargs)

    def capture_state(self) -> str:
        """The capture state's value ('capturing', 'paused', ...), or 'unavailable' with no daemon."""
        if self.capture is None:
            return "unavailable"
        state = self.capture.state()
        return getattr(state, "value", str(state))
