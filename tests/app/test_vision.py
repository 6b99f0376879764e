"""Frame captions from a vision model, wired into capture: tested with the fake captioner (no vision
GGUF is available offline, so the llama.cpp multimodal handler itself is not exercised here)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.errors import AppError
from app.services import FakeCaptioner
from app.vision import frame_captioner, png_for_caption
from capture import FakeFrameSource
from memory.errors import ModelError
from memory.vision import LlamaCaptioner
from tests.app.test_daemon import FAST, MON1, NOTES, engram, observation_with, page, run, wait_for  # noqa: F401


def test_a_stored_frame_gets_the_vision_models_caption_in_its_text(engram, run):  # noqa: F811
    captioner = FakeCaptioner(["A spreadsheet of the Q3 budget is open in the editor."])
    engram.set_captioner(captioner)
    source = FakeFrameSource([MON1], lambda m, n: page("Budget review notes"))
    run(FAST, frame_source=source, window_query=lambda: NOTES, caption=frame_captioner(engram))
    obs = wait_for(lambda: observation_with(engram, "Budget review"), what="the captioned observation")
    assert obs.text.endswith("[Screen: A spreadsheet of the Q3 budget is open in the editor.]")
    image = Image.open(io.BytesIO(captioner.images[0]))
    assert image.format == "PNG" and image.size == (640, 400)


def test_a_failing_captioner_leaves_the_text_stored_without_a_caption(engram, run):  # noqa: F811
    engram.set_captioner(FakeCaptioner([]))  # raises ModelError on every call
    source = FakeFrameSource([MON1], lambda m, n: page("Standup agenda"))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES, caption=frame_captioner(engram))
    obs = wait_for(lambda: observation_with(engram, "Standup"), what="the observation")
    assert "[Screen:" not in obs.text
    assert "could not caption" in daemon.health().last_error


def test_a_caption_is_redacted_like_the_screen_text(engram, run):  # noqa: F811
    key = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
    engram.set_captioner(FakeCaptioner([f"A terminal shows the token {key}."]))
    source = FakeFrameSource([MON1], lambda m, n: page("Deploy checklist"))
    run(FAST, frame_source=source, window_query=lambda: NOTES, caption=frame_captioner(engram))
    obs = wait_for(lambda: observation_with(engram, "Deploy"), what="the observation")
    assert key not in obs.text and "[REDACTED:api-key]" in obs.text


def test_no_vision_model_configured_means_no_caption_hook(engram):  # noqa: F811
    assert engram.captioner is None and frame_captioner(engram) is None
    engram.store.set_setting("vision_model_path", "/nowhere/model.gguf")
    engram.store.set_setting("vision_mmproj_path", "/nowhere/mmproj.gguf")
    engram.store.set_setting("vision_chat_handler", "no-such-handler")
    assert frame_captioner(engram) is None  # a bad setting never keeps capture from starting


def test_vision_files_are_checked_before_they_are_remembered(engram, tmp_path):  # noqa: F811
    model, mmproj = tmp_path / "vlm.gguf", tmp_path / "mmproj.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(AppError, match="does not exist"):
        engram.use_vision_files(model, mmproj)
    mmproj.write_bytes(b"GGUF")
    with pytest.raises(ModelError, match="unknown vision chat handler"):
        engram.use_vision_files(model, mmproj, "nonsense")
    engram.use_vision_files(model, mmproj, "qwen2.5-vl")
    captioner = engram.captioner
    assert isinstance(captioner, LlamaCaptioner) and captioner.handler == "qwen2.5-vl" and not captioner.loaded
    engram.use_vision_files(None)
    assert engram.captioner is None


def test_frames_are_shrunk_before_captioning():
    png = png_for_caption(np.zeros((1600, 2560, 3), np.uint8))
    assert Image.open(io.BytesIO(png)).size == (896, 560)
