"""A small HTTP file server on 127.0.0.1 for download tests: Range requests, a response cut short,
and a server that is gone. Runs in a thread of the test process; nothing leaves the machine."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FileServer:
    """Serves `files` (name -> bytes) at http://127.0.0.1:PORT/NAME."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.types: dict[str, str] = {}  # name -> Content-Type (none sent for the others)
        self.requests: list[tuple[str, str | None]] = []  # path, Range header
        self.cut_after: int | None = None  # send only this many body bytes, then close
        self.gate: threading.Event | None = None  # when set: each body waits for it after its first chunk
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                header = self.headers.get("Range")
                server.requests.append((self.path, header))
                data = server.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                match = re.fullmatch(r"bytes=(\d+)-", header or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                body = data[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                if name in server.types:
                    self.send_header("Content-Type", server.types[name])
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if server.cut_after is not None:
                    body = body[:server.cut_after]
                    self.close_connection = True
                for i in range(0, len(body), 64 * 1024):
                    if i and server.gate is not None:
                        server.gate.wait(10)
                    try:
                        self.wfile.write(body[i:i + 64 * 1024])
                    except (BrokenPipeError, ConnectionResetError):
                        return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def fake_model(size: int = 300_000, seed: int = 7) -> bytes:
    """Bytes that pass as a GGUF file (magic and all), distinct per seed."""
    block = hashlib.sha256(str(seed).encode()).digest()
    return (b"GGUF" + block * (size // len(block) + 1))[:size]


def write_catalog(path: Path, server: FileServer, models: dict[str, bytes], **overrides) -> Path:
    """A catalog JSON whose entries point at `server`; `overrides` replace fields by model name."""
    entries = []
    for name, data in models.items():
        entry = {
            "name": name, "title": f"Test {name}", "file": f"{name}.gguf", "url": server.url(f"{name}.gguf"),
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "licence": "Apache-2.0",
            "description": "A fake model for tests.", "chat_template": "ChatML",
        }
        entry.update(overrides.get(name, {}))
        entries.append(entry)
        server.files[f"{name}.gguf"] = data
    path.write_text(json.dumps({"models": entries}), encoding="utf-8")
    return path
