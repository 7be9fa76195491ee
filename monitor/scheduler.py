"""The service behind ``pressmon run``: APScheduler 3 jobs, each crawl in its own process.

Jobs are declared in code at every start (fixed ids, ``replace_existing``, the
in-memory job store; SCH-3): ``crawl:<site>`` per enabled site on its cron
schedule in the configured timezone, ``digest`` at ``digest_time``,
``alerts`` every minute and ``checkpoint`` (WAL) every hour. Every job has
``coalesce``, ``max_instances=1`` and a misfire grace time (SCH-1, SCH-2,
SCH-5). Crawls and digests run as ``python -m monitor`` subprocesses that are
killed at their time limit, so the Twisted reactor never runs here and a hung
or crashing crawl never takes the service down. Nothing here knows Scrapy.
The alert dispatcher runs here, one run at a time: every minute and right
after each crawl ends. The subscribers' secrets are checked at start (a missing
``${VAR}`` stops the service before it starts) and at every reload.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent

from monitor import clock
from monitor.alerts import HealthWatch, Summary
from monitor.config import Config, load_config
from monitor.digest import latest_complete_day
from monitor.errors import ConfigError, MonitorError
from monitor.health_watch import note_health_changes
from monitor.jobs import declare_jobs, job_specs, log_jobs, new_scheduler
from monitor.secret_scan import secret_warnings
from monitor.service_io import (
    KILL_GRACE_SECONDS,
    ClockWatch,
    Launcher,
    Outcome,
    Process,
    checkpoint_wal,
    dispatch_alerts,
    end_process,
    launch,
    mark_crawl_failed,
    missing_digests,
    monitor_command,
)
from monitor.subscribers import check_secrets

log = logging.getLogger(__name__)

DIGEST_TIMEOUT_SECONDS = 1800.0
STOP_GRACE_SECONDS = 60.0  # on SIGTERM/SIGINT, running crawls get this long to finish
POLL_SECONDS = 0.2


# -- the service ---------------------------------------------------------------------------


class Service:
    """The jobs' state: which config, which database, which children run, whether we stop."""

    def __init__(
        self,
        config: Config,
        db: Path,
        *,
        launcher: Launcher = launch,
        loader: Callable[[], Config] | None = None,
        stop_grace: float = STOP_GRACE_SECONDS,
        kill_grace: float = KILL_GRACE_SECONDS,
        environ: Mapping[str, str] | None = None,
        watch_health: HealthWatch | None = note_health_changes,
    ) -> None:
        self.config = config
        self.db = db
        self.home = config.home.resolve()
        self.launcher = launcher
        self.loader = loader or (lambda: load_config(self.home))
        self.stop_grace = stop_grace
        self.kill_grace = kill_grace
        self.environ = environ  # None: os.environ, where the subscribers' secrets are
        self.watch_health = watch_health
        self._dispatching = threading.Lock()
        self.clock_watch = ClockWatch()
        self.scheduler = new_scheduler()
        self._running: dict[str, Process | None] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._stop_deadline: float | None = None
        self._wake = threading.Event()
        self._reload_requested = False

    # -- jobs --------------------------------------------------------------

    def crawl_site(self, name: str, timeout: float | None = None) -> Outcome | None:
        """Crawl one site in a subprocess (the ``crawl:<site>`` job); None when skipped.

        ``timeout`` (seconds) defaults to the site's ``timeout_minutes``.
        """
        site = self.config.sites.get(name)
        if site is None:
            log.warning("crawl:%s skipped: no such site in the config any more", name)
            return None
        limit = timeout if timeout is not None else site.crawl.timeout_minutes * 60.0
        since = clock.now_iso()  # crawls rows have second resolution; the child's is >= this
        outcome = self._run(f"crawl:{name}", ["crawl", "--site", name], limit)
        if outcome is not None:
            self._settle_crawl(name, since, outcome)
            self.dispatch_alerts()  # the crawl's new stories go out now, not in a minute
        return outcome

    def build_digest(self, now: datetime | None = None) -> Outcome | None:
        """Build the digest of the latest complete day in a subprocess (the ``digest`` job)."""
        settings = self.config.settings
        day = latest_complete_day(now or clock.now(), settings.timezone, settings.digest_time)
        args = ["digest", "--date", day.isoformat()]
        outcome = self._run("digest", args, DIGEST_TIMEOUT_SECONDS)
        if outcome is not None and (outcome.how != "exited" or outcome.returncode != 0):
            log.error("digest: %s was not built (%s)", day, _describe(outcome))
        return outcome

    def dispatch_alerts(self) -> Summary | None:
        """Send the due alerts (the ``alerts`` job, and after each crawl), one run at a time."""
        if self._stopping.is_set():
            return None
        self.clock_watch.check()  # every minute: a stepped wall clock is worth a warning
        with self._dispatching:
            try:
                return dispatch_alerts(
                    self.db, self.config, environ=self.environ, watch_health=self.watch_health
                )
            except (sqlite3.Error, MonitorError) as err:
                log.error("alerts: dispatch failed: %s", err)
                return None

    def checkpoint(self) -> None:
        """The hourly WAL checkpoint (DB-3)."""
        try:
            checkpoint_wal(self.db)
        except sqlite3.Error as err:
            log.error("checkpoint: %s: %s", self.db, err)

    def pending_digest(self, now: datetime) -> date | None:
        """The latest complete digest day when some watchlist has no digest for it (SCH-1)."""
        settings = self.config.settings
        if not self.config.watchlists:
            return None
        day = latest_complete_day(now, settings.timezone, settings.digest_time)
        try:
            missing = missing_digests(self.db, list(self.config.watchlists), day)
        except sqlite3.Error as err:
            log.error("digest: cannot tell whether %s was built: %s", day, err)
            return None
        if not missing:
            return None
        log.info("digest: %s is missing for %s: building it now", day, ", ".join(missing))
        return day

    # -- children ------------------------------------------------------------

    def _run(self, label: str, args: list[str], timeout: float) -> Outcome | None:
        """Run ``python -m monitor ARGS`` under ``label``; None when skipped."""
        if self._stopping.is_set():
            log.info("%s skipped: the service is stopping", label)
            return None
        if not self._claim(label):
            return None
        try:
            return self._supervise(label, monitor_command(self.home, self.db, *args), timeout)
        except OSError as err:
            log.error("%s: cannot start: %s", label, err)
            return None
        finally:
            with self._lock:
                self._running.pop(label, None)

    def _claim(self, label: str) -> bool:
        """Reserve ``label``'s slot: never two crawls of one site at once (SCH-5)."""
        with self._lock:
            if label in self._running:
                log.info("%s skipped: still running", label)
                return False
            self._running[label] = None
            return True

    def _supervise(self, label: str, command: list[str], timeout: float) -> Outcome:
        started = time.monotonic()
        process = self.launcher(command)
        with self._lock:
            self._running[label] = process
        log.info("%s started (pid %d)", label, process.pid)
        how = self._wait(process, started + timeout)
        if how != "exited":
            reason = f"timed out after {timeout:g}s" if how == "timeout" else "the service stops"
            log.warning("%s: %s: stopping pid %d", label, reason, process.pid)
            end_process(process, self.kill_grace)
        outcome = Outcome(how, process.returncode, time.monotonic() - started)
        log.info("%s ended: %s", label, _describe(outcome))
        return outcome

    def _wait(self, process: Process, deadline: float) -> str:
        """``exited``, ``timeout`` at ``deadline``, or ``shutdown`` at the stop deadline."""
        while True:
            try:
                process.wait(timeout=POLL_SECONDS)
                return "exited"
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if self._stop_deadline is not None and now >= self._stop_deadline:
                return "shutdown"

    def _settle_crawl(self, site: str, since: str, outcome: Outcome) -> None:
        """Record what the crawl itself could not: a kill (timeout, shutdown) or a crash."""
        if outcome.how == "exited" and outcome.returncode == 0:
            return
        if outcome.how == "exited":
            failure, statuses = "crashed", ("running",)
        else:  # our SIGTERM may have let the crawl close its row as aborted (shutdown)
            failure = "time_limit" if outcome.how == "timeout" else outcome.how
            statuses = ("running", "aborted")
        try:
            crawl_id = mark_crawl_failed(self.db, site, since, failure, statuses)
        except sqlite3.Error as err:
            log.error("crawl:%s: cannot record the %s: %s", site, failure, err)
            return
        if crawl_id is not None:
            log.warning("crawl:%s: crawl %d marked failed (%s)", site, crawl_id, failure)

    def running(self) -> list[str]:
        """Labels of the jobs whose subprocess runs now."""
        with self._lock:
            return sorted(self._running)

    # -- life cycle -------------------------------------------------------------

    def start(self, now: datetime | None = None, *, paused: bool = False) -> None:
        """Check the secrets, declare the jobs, queue a missed digest, start the scheduler.

        A subscriber's missing ``${VAR}`` raises ConfigError before anything runs; a
        secret written into a shared subscribers.toml is logged as a warning (CFG-1).
        """
        check_secrets(self.config.subscribers, self.environ)
        for warning in secret_warnings(self.config.subscribers):
            log.warning("%s", warning)
        self.scheduler.start(paused=True)
        self.scheduler.add_listener(_log_skip, EVENT_JOB_MAX_INSTANCES)
        self._declare(now or clock.now())
        if not paused:
            self.scheduler.resume()

    def _declare(self, now: datetime) -> None:
        declare_jobs(self.scheduler, job_specs(self))
        if not self.config.watchlists:
            log.info("digest: no watchlists configured, so no digest job")
        if not any(site.enabled for site in self.config.sites.values()):
            log.warning("no enabled sites: nothing will be crawled")
        if self.pending_digest(now) is not None:
            self.scheduler.modify_job("digest", next_run_time=now)
        log_jobs(self.scheduler)

    def reload(self, now: datetime | None = None) -> bool:
        """Load the config again and re-declare the jobs; a bad config is refused (kept old)."""
        try:
            config = self.loader()
            check_secrets(config.subscribers, self.environ)
        except ConfigError as err:
            log.error("reload refused, keeping the running config: %s", err)
            return False
        for warning in secret_warnings(config.subscribers):
            log.warning("reload: %s", warning)
        if config.db_path != self.config.db_path and self.db == self.config.db_path:
            log.warning("reload: the database setting changed; restart to use %s", config.db_path)
        self.config = config
        self._declare(now or clock.now())
        log.info("reload: %d sites, %d watchlists", len(config.sites), len(config.watchlists))
        return True

    def stop(self) -> None:
        """No new jobs start; running children get ``stop_grace`` seconds, then are ended."""
        self._stopping.set()
        deadline = time.monotonic() + self.stop_grace
        if self._stop_deadline is None or deadline < self._stop_deadline:
            self._stop_deadline = deadline  # unless a second signal asked for "now"
        if self.scheduler.running:
            self.scheduler.pause()
        running = ", ".join(self.running()) or "nothing is running"
        log.info("stopping: no new jobs; waiting up to %gs for %s", self.stop_grace, running)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        log.info("stopped")

    def serve(self) -> int:
        """Start, then run until :meth:`request_stop`, reloading on :meth:`request_reload`."""
        log.info("service: home %s, database %s, pid %d", self.home, self.db, os.getpid())
        self.start()
        while not self._stopping.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            if self._reload_requested and not self._stopping.is_set():
                self._reload_requested = False
                self.reload()
        self.stop()
        return 0

    def request_stop(self, why: str) -> None:
        """Ask :meth:`serve` to stop (a signal handler); asked again, end running jobs now."""
        if self._stopping.is_set():
            log.warning("%s again: ending running jobs now", why)
            self._stop_deadline = time.monotonic()
            return
        log.info("%s: stopping", why)
        self._stopping.set()
        self._wake.set()

    def request_reload(self, why: str) -> None:
        """Ask :meth:`serve` to reload the config (a signal handler)."""
        log.info("%s: reloading the config", why)
        self._reload_requested = True
        self._wake.set()


def _describe(outcome: Outcome) -> str:
    if outcome.how == "exited":
        result = "ok" if outcome.returncode == 0 else f"exit {outcome.returncode}"
    else:
        result = "killed (timeout)" if outcome.how == "timeout" else "killed (shutdown)"
    return f"{result} after {outcome.seconds:.1f}s"


def _log_skip(event: JobSubmissionEvent) -> None:
    log.info("%s skipped: still running", event.job_id)
