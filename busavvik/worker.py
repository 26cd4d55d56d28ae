"""The long-running worker: APScheduler 3 (in worker.timezone) polling every N minutes, plus the notify jobs.

Only the leader works: see busavvik/leader.py.  SIGTERM/SIGINT set a stop flag: the batch in hand is
committed, then the scheduler shuts down. A leader that loses its lock stops polling the same way, after
the batch in hand, before a standby has long been polling beside it; then it stands by itself.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import DBAPIError

from busavvik.context import AppContext
from busavvik.leader import AlreadyRunning, LeaderLock
from busavvik.poll import StopRequested, poll_once
from store.heartbeat import beat

log = logging.getLogger("busavvik.worker")
HEARTBEAT_SECONDS = 60
NotifyJob = Callable[[AppContext, datetime], None]


def _reason(exc: DBAPIError) -> str:
    """The driver's first line ("connection failed: ... Connection refused"): no URL, so no password."""
    cause = exc.orig if exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


class Worker:
    def __init__(self, app: AppContext, notify_jobs: dict[str, tuple[NotifyJob, dict[str, object]]] | None = None):
        self.app = app
        self.stop = threading.Event()
        self.halt = threading.Event()      # the poll in progress stops after its batch: stop, or leadership lost
        self.lock = LeaderLock(app.db.engine, app.settings.worker.lock_id)
        self.tz = app.settings.local.zone
        self.notify_jobs = notify_jobs or {}
        self._scheduler: BackgroundScheduler | None = None
        self.started = datetime.now(self.tz)
        self.beat_seconds = max(1, int(min(HEARTBEAT_SECONDS, app.settings.worker.poll_minutes * 60)))

    def _heartbeat(self, state: str = "running") -> None:
        """The row `busavvik status` reads to say whether the worker is alive (store/heartbeat.py)."""
        if state == "running" and (self.halt.is_set() or not self.lock.still_held()):
            return
        try:
            with self.app.db.session() as session:
                beat(session, datetime.now(self.tz), self.started, self.beat_seconds, state)
        except DBAPIError as exc:
            log.warning("heartbeat not written, the database is unreachable: %s", _reason(exc))

    def _poll_job(self) -> None:
        if self.halt.is_set() or not self.lock.still_held():
            return             # stopping, or leadership lost: the main loop shuts the jobs down
        try:
            results = poll_once(self.app, self.halt)
        except StopRequested:
            log.info("poll stopped (%s): the batch in hand was committed",
                     "stop requested" if self.stop.is_set() else "leadership lost")
            return
        except DBAPIError as exc:    # the database went away mid-poll: what was committed stays; next poll goes on
            log.error("poll failed, the database is unreachable: %s; trying again at the next poll", _reason(exc))
            return
        for r in results:
            log.info("polled %s: new=%d duplicates=%d set_aside=%d error=%s", r.mailbox, r.stats.new,
                     r.stats.duplicates, r.set_aside, r.error_code or "-")
        self._heartbeat()

    def _notify(self, name: str, job: NotifyJob) -> Callable[[], None]:
        def run() -> None:
            if self.stop.is_set() or not self.lock.still_held():
                return
            try:
                job(self.app, datetime.now(self.tz))
            except DBAPIError as exc:
                log.error("job %s failed, the database is unreachable: %s; it runs again as scheduled",
                          name, _reason(exc))
            except Exception:  # noqa: BLE001 - a failing job is logged and retried next time
                log.exception("job %s failed", name)
        return run

    def _start_scheduler(self) -> None:
        sched = BackgroundScheduler(timezone=self.tz, job_defaults={"coalesce": True, "max_instances": 1})
        seconds = self.app.settings.worker.poll_minutes * 60
        sched.add_job(self._poll_job, "interval", seconds=seconds, id="poll", next_run_time=datetime.now(self.tz))
        sched.add_job(self._heartbeat, "interval", seconds=self.beat_seconds, id="heartbeat",
                      next_run_time=datetime.now(self.tz))
        for name, (job, trigger) in self.notify_jobs.items():
            args = dict(trigger)
            if args.pop("run_at_start", False):       # also now, each time this worker becomes the leader
                args["next_run_time"] = datetime.now(self.tz)
            sched.add_job(self._notify(name, job), id=name, **args)  # type: ignore[arg-type]
        sched.start()
        self._scheduler = sched

    def wait_for_leadership(self) -> bool:
        retry = max(1.0, min(60.0, self.app.settings.worker.poll_minutes * 60 / 2))
        while not self.stop.is_set():
            try:
                got = self.lock.try_acquire()
            except DBAPIError as exc:   # e.g. PostgreSQL restarting: wait for it rather than exit
                log.error("cannot reach the database to take the leader lock (%s); trying again in %ss",
                          _reason(exc), retry)
                self.stop.wait(retry)
                continue
            if got:
                log.info("this worker is the leader")
                return True
            if not self.lock.is_postgres:
                raise AlreadyRunning("another busavvik worker is already running on this SQLite database "
                                     f"({self.lock._lock_path()}); stop it first, or use PostgreSQL for "
                                     "a standby worker")
            log.info("another worker is the leader; standing by (retry in %ss)", retry)
            self.stop.wait(retry)
        return False

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self.stop.is_set():
            log.info("%s received: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        self.stop.set()
        self.halt.set()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        while not self.stop.is_set():
            if not self.wait_for_leadership():
                break
            self._start_scheduler()
            check = max(1.0, min(5.0, self.app.settings.worker.poll_minutes * 60 / 4))
            while not self.stop.is_set() and self.lock.still_held():
                self.stop.wait(check)
            self.halt.set()                # a poll in progress ends after the batch in hand
            self._shutdown()
            if self.stop.is_set() and self.lock.still_held():
                self._heartbeat("stopped")
            if not self.stop.is_set():
                log.warning("lost leadership; trying to get it back")
                self.halt.clear()
        self.lock.release()
        log.info("worker stopped")

    def _shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
