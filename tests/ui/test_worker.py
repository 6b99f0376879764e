"""The one worker thread: jobs run in order off the GUI thread; results come back on it."""

import threading

from app.errors import AppError
from app.worker import Worker, describe
from tests.ui.conftest import idle


def test_jobs_run_in_order_off_the_gui_thread_and_report_on_it(qtbot, worker):
    ran_on, reported_on, results = [], [], []

    def job(n):
        ran_on.append(threading.current_thread())
        return n * 2

    for n in range(5):
        worker.submit("double", job, n, done=lambda r: (results.append(r),
                                                         reported_on.append(threading.current_thread())))
    idle(qtbot, worker)
    assert results == [0, 2, 4, 6, 8]
    assert all(t is not threading.main_thread() for t in ran_on)
    assert all(t is threading.main_thread() for t in reported_on)


def test_errors_reach_the_failed_callback_or_the_job_failed_signal(qtbot, worker):
    errors = []
    worker.submit("fail", lambda: (_ for _ in ()).throw(AppError("no such thing")), failed=errors.append)
    idle(qtbot, worker)
    assert [str(e) for e in errors] == ["no such thing"]
    with qtbot.waitSignal(worker.job_failed) as failed:
        worker.submit("divide", lambda: 1 / 0)
    assert failed.args == ["divide", "ZeroDivisionError: division by zero"]


def test_a_cancelled_job_reports_nothing(qtbot, worker):
    gate = threading.Event()
    results = []
    worker.submit("wait", gate.wait, 5)
    job = worker.submit("late", lambda: "stale", done=results.append)
    job.cancel()
    gate.set()
    idle(qtbot, worker)
    assert results == []


def test_busy_is_signalled(qtbot, worker):
    seen = []
    worker.busy_changed.connect(seen.append)
    worker.submit("noop", lambda: None)
    qtbot.waitUntil(lambda: seen == [True, False], timeout=5_000)


def test_stop_ends_the_thread(qapp):
    w = Worker()
    assert w.stop(timeout=5)
    assert describe(AppError("plain words")) == "plain words"
