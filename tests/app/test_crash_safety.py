"""A writer killed mid-write loses nothing it committed."""

import os
import signal
import subprocess
import sys
import textwrap

from app.paths import Paths
from app.services import Engram

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from app.paths import Paths
    from app.services import Engram
    from memory import NewObservation, SemanticFact
    engram = Engram.unlock(Paths(sys.argv[1]), "pw")
    i = 0
    while True:
        i += 1
        [oid] = engram.store.add_observations([NewObservation(
            time=datetime.now(timezone.utc), text=f"row {i} " + "x" * 2000)])
        engram.store.add(SemanticFact(name=f"n{i}", summary="s"), sources=[oid], cause="w")
        print(i, flush=True)
""")


def test_committed_rows_survive_a_killed_writer(tmp_path):
    paths = Paths(tmp_path / "data")
    Engram.create(paths, "pw").close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(paths.root)], stdout=subprocess.PIPE,
                            text=True, cwd=os.getcwd())
    committed = 0
    for line in proc.stdout:
        committed = int(line)
        if committed >= 150:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with Engram.unlock(paths, "pw") as engram:
        status = engram.status()
        assert status.observations >= committed
        assert status.memories["semantic"] >= committed
        texts = {o.text.split(" ")[1] for o in engram.store.observations()}
        assert {str(i) for i in range(1, committed + 1)} <= texts
