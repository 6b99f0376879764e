"""Nothing leaves the machine: the libraries under the embedder, the OCR and the vector index
(onnxruntime, whose wheels carry Microsoft's telemetry on Linux and macOS since 1.31; Chroma) must
not even prepare to phone home, nor leave files outside the data directory."""

import os
import subprocess
import sys

SCRIPT = """
import numpy as np
from capture.ocr import OcrEngine
from memory.embed import MiniLMEmbedder
from memory.vectors import ChromaIndex
vectors = MiniLMEmbedder().embed(["hello", "world"])
index = ChromaIndex(384)
index.add(["obs:1", "obs:2"], vectors)
assert index.query(vectors[0], 1)[0][0] == "obs:1"
image = np.full((60, 300, 3), 255, np.uint8)
image[20:40, 20:280] = 0
OcrEngine().read(image)
print("ran")
"""


def test_embedding_and_ocr_leave_no_telemetry_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORT_")}
    env["HOME"] = str(tmp_path)
    env.pop("XDG_CACHE_HOME", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                            cwd=os.path.dirname(os.path.dirname(__file__)), timeout=300)
    assert result.returncode == 0 and "ran" in result.stdout, result.stderr[-800:]
    left = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")]
    assert left == [], left
