"""The event hub: typed, past-tense Qt signals that tell the window what happened.

Any thread may emit them; receivers living on the GUI thread get them queued there, so a slot never
runs on the capture thread or the worker.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Events(QObject):
    """One per running app; passed to every view that needs to hear about changes."""

    observation_stored = Signal(int)  # observation id
    observations_changed = Signal()  # many at once: an import, a forget
    capture_state_changed = Signal(str)  # a CaptureState value
    answer_token = Signal(str)  # the next piece of a streamed answer
    answer_ready = Signal(object)  # the finished turn (app.conversation.Turn): answer and sources
    memories_changed = Signal()  # a memory was added, edited or removed
    settings_changed = Signal()
    progress = Signal(str, int, int)  # what, done, total (total 0: unknown)
    job_failed = Signal(str)  # a one-line message for the user
    data_erased = Signal()  # "delete everything" ran: the window must go back to onboarding
