"""The Qt binding itself must not corrupt Python's reference counts: PySide6 6.12.0 on Python 3.11
dropped a reference to None or True on every signal emission and void call, and the app aborted
("Fatal Python error: none_dealloc") after some thousands of signals."""

import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    changed = Signal(bool)
source, seen = Source(), []
source.changed.connect(seen.append)
for _ in range(20000):
    source.changed.emit(True)
    app.processEvents()
print(len(seen))
"""


def test_many_signals_do_not_crash_the_interpreter():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == "20000"
