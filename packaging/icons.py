"""Make the raster icons of every package from assets/icons/engram.svg: hicolor PNGs (Linux),
engram.ico (Windows) and engram.icns (macOS).

    usage: python packaging/icons.py OUT_DIR      (needs PySide6 and Pillow: the build's venv)

Qt renders the SVG at each size (a small size drawn from the vector stays sharp, unlike a
downscaled bitmap); Pillow writes the ICO and ICNS containers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
SOURCE = Path(__file__).resolve().parent.parent / "assets" / "icons" / "engram.svg"


def render(size: int, dest: Path) -> Path:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    if not image.save(str(dest)):
        raise SystemExit(f"cannot write {dest}")
    return dest


def main(out: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (Qt's painting needs one)
    out.mkdir(parents=True, exist_ok=True)
    for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES}):
        render(size, out / f"engram-{size}.png")
    Image.open(out / "engram-256.png").save(out / "engram.ico", sizes=[(s, s) for s in ICO_SIZES])
    Image.open(out / "engram-1024.png").save(out / "engram.icns")
    print(f"icons in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
