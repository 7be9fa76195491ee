"""The service's scheduling logic (monitor.scheduler), with a fake clock and fake children.

Triggers are checked by computing their fire times directly; children are fake
processes unless a test is about killing a real one.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.base import BaseTrigger
from click.testing import CliRunner

from monitor import service_io
from monitor._config_checks import cron_trigger, validate_cron
from monitor.cli import cli
from monitor.config import load_config
from monitor.jobs import CRAWL_MISFIRE_SECONDS, DIGEST_MISFIRE_SECONDS
from monitor.scheduler import Service
from monitor.service_io import checkpoint_wal, dispatch_alerts, launch, mark_crawl_failed
from monitor.service_lock import ServiceLockedError, hold_lock, service_pid
from monitor.store import Store, open_store

NEW_YORK = ZoneInfo("America/New_York")


# -- fakes and helpers ----------------------------------------------------------------


class FakeProcess:
    """A child that exits at once (``returncode``) or, with ``block``, when told or terminated."""

    pid = 4242

    def __init__(self, returncode: int = 0, *, block: bool = False) -> None:
        self.returncode: int | None = None
        self.signals: list[str] = []
        self._done = threading.Event()
        if not block:
            self.finish(returncode)

    def finish(self, returncode: int = 0) -> None:
        self.returncode = returncode
        self._done.set()

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired("fake", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        self.signals.append("TERM")
        self.finish(-signal.SIGTERM)

    def kill(self) -> None:
        self.signals.append("KILL")
        self.finish(-signal.SIGKILL)


class FakeLauncher:
    """Records every command; ``make`` builds the process each one gets."""

    def __init__(self, make: Callable[[list[str]], FakeProcess] | None = None) -> None:
        self.commands: list[list[str]] = []
        self.processes: list[FakeProcess] = []
        self.make = make or (lambda command: FakeProcess())

    def __call__(self, command: list[str]) -> FakeProcess:
        self.commands.append(command)
        self.processes.append(self.make(command))
        return self.processes[-1]


def write_site(home: Path, name: str, extra: str = "") -> None:
    (home / "sites").mkdir(parents=True, exist_ok=True)
    (home / "sites" / f"{name}.toml").write_text(
        f'name = "{name}"\nstart_urls = ["http://127.0.0.1:9/{name}/"]\n'
        f"article_urls = ['/{name}/view/\\d+']\n{extra}",
        encoding="utf-8",
    )


def make_home(
    tmp_path: Path,
    settings: str = "",
    sites: dict[str, str] | None = None,
    watchlists: tuple[str, ...] = ("thaad",),
) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "settings.toml").write_text(settings, encoding="utf-8")
    for name, extra in (sites if sites is not None else {"herald": ""}).items():
        write_site(home, name, extra)
    (home / "watchlists").mkdir(exist_ok=True)
    for name in watchlists:
        (home / "watchlists" / f"{name}.toml").write_text('terms = ["THAAD"]\n', encoding="utf-8")
    return home


def make_service(home: Path, db: Path, launcher: object = None, **options: object) -> Service:
    open_store(db).close()
    return Service(load_config(home), db, launcher=launcher or FakeLauncher(), **options)  # type: ignore[arg-type]


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """Services to shut down after the test, whatever happened."""
    started: list[Service] = []
    yield started
    for service in started:
        if service.scheduler.running:
            service.scheduler.shutdown(wait=False)


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Fire times in [start, end), stepped as APScheduler 3 does (previous fire, a later now)."""
    times: list[datetime] = []
    previous, now = None, start
    while len(times) < 10_000:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire.astimezone(UTC) >= end:
            break
        times.append(fire)
        previous, now = fire, fire.astimezone(UTC) + timedelta(seconds=1)
    return times


def local_day(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a local calendar day (23 or 25 hours on DST days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start.date() + timedelta(days=1)
    return start.astimezone(UTC), datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC)


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def crawl_row(store: Store, site: str = "herald") -> dict:
    return store.rows("SELECT * FROM crawls WHERE site = ? ORDER BY id DESC", [site])[0]


# -- cron: 5 fields as before, 6 with seconds ------------------------------------------


def test_a_six_field_cron_has_a_leading_seconds_field() -> None:
    validate_cron("*/2 * * * * *")
    start = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    times = fire_times(cron_trigger("*/2 * * * * *", "UTC"), start, start + timedelta(seconds=10))
    assert [t.second for t in times] == [0, 2, 4, 6, 8]


def test_a_five_field_cron_keeps_minute_resolution() -> None:
    start = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)
    times = fire_times(cron_trigger("*/30 * * * *", "UTC"), start, start + timedelta(hours=1))
    assert [t.astimezone(UTC).strftime("%H:%M:%S") for t in times] == ["12:30:00", "13:00:00"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "* * * *",
            "expected 5 fields (minute hour day month weekday), or 6 with a leading "
            "seconds field (second minute hour day month weekday), got 4",
        ),
        ("*/2 * * * * 1-5", "write the day of week as names"),
        ("61 * * * * *", "the last value (61) is higher than the maximum value (59)"),
    ],
)
def test_bad_cron_says_why(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_cron(expr)


# -- jobs declared in code ------------------------------------------------------------


def test_jobs_are_declared_with_fixed_ids_in_memory(tmp_path: Path, services) -> None:
    home = make_home(tmp_path, sites={"herald": "", "daily": "", "off": "enabled = false\n"})
    service = make_service(home, tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert set(jobs) == {"crawl:herald", "crawl:daily", "digest", "alerts", "checkpoint"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances) == (True, 1), job.id
        assert job.misfire_grace_time, job.id
    assert jobs["digest"].misfire_grace_time == DIGEST_MISFIRE_SECONDS
    assert jobs["crawl:herald"].misfire_grace_time == CRAWL_MISFIRE_SECONDS
    assert jobs["crawl:herald"].args == ("herald",)
    assert jobs["crawl:herald"].executor == "crawls"
    assert isinstance(service.scheduler._lookup_jobstore("default"), MemoryJobStore)


def test_jobs_fire_per_cron_in_the_configured_timezone(tmp_path: Path, services) -> None:
    settings = (
        'timezone = "Asia/Seoul"\ndigest_time = "07:00"\n[crawl]\nschedule = "15 6,18 * * *"\n'
    )
    service = make_service(make_home(tmp_path, settings), tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    start = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
    end = start + timedelta(days=1)
    crawls = fire_times(service.scheduler.get_job("crawl:herald").trigger, start, end)
    digests = fire_times(service.scheduler.get_job("digest").trigger, start, end)
    assert [t.astimezone(UTC).isoformat() for t in crawls] == [
        "2026-05-01T09:15:00+00:00",
        "2026-05-01T21:15:00+00:00",
    ]
    assert [t.astimezone(UTC).isoformat() for t in digests] == ["2026-05-01T22:00:00+00:00"]


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25)])
def test_dst_days_in_a_local_timezone(tmp_path: Path, services, day: date, hours: int) -> None:
    """SCH-7: a daily 02:30 job fires once on both DST days, a */30 crawl every 30 real minutes."""
    settings = 'timezone = "America/New_York"\ndigest_time = "02:30"\n'
    service = make_service(make_home(tmp_path, settings), tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    digest = service.scheduler.get_job("digest").trigger
    crawl = service.scheduler.get_job("crawl:herald").trigger
    start, end = local_day(day, NEW_YORK)
    assert end - start == timedelta(hours=hours)
    for offset in (-1, 0, 1):
        around = local_day(day + timedelta(days=offset), NEW_YORK)
        assert len(fire_times(digest, *around)) == 1, day + timedelta(days=offset)
    crawls = [t.astimezone(UTC) for t in fire_times(crawl, start, end)]
    assert len(crawls) == hours * 2
    assert {b - a for a, b in itertools.pairwise(crawls)} == {timedelta(minutes=30)}


def test_no_digest_job_without_watchlists(tmp_path: Path, services, caplog) -> None:
    caplog.set_level(logging.INFO, "monitor.scheduler")
    service = make_service(make_home(tmp_path, watchlists=()), tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    assert service.scheduler.get_job("digest") is None
    assert "no watchlists configured, so no digest job" in caplog.text


# -- digest: scheduled day, catch-up --------------------------------------------------------


def test_the_digest_job_builds_the_latest_complete_day(tmp_path: Path) -> None:
    launcher = FakeLauncher()
    db = tmp_path / "m.db"
    home = make_home(tmp_path, 'timezone = "Asia/Seoul"\ndigest_time = "07:00"\n')
    service = make_service(home, db, launcher)
    outcome = service.build_digest(now=datetime(2026, 5, 1, 22, 0, 5, tzinfo=UTC))
    assert outcome is not None and outcome.returncode == 0
    assert launcher.commands == [
        [
            sys.executable,
            "-m",
            "monitor",
            "--home",
            str(home.resolve()),
            "--db",
            str(db),
            "digest",
            "--date",
            "2026-05-02",
        ],
    ]


def test_a_failed_digest_is_logged(tmp_path: Path, caplog) -> None:
    launcher = FakeLauncher(lambda command: FakeProcess(2))
    service = make_service(make_home(tmp_path), tmp_path / "m.db", launcher)
    service.build_digest(now=datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert "digest: 2026-05-01 was not built (exit 2 after" in caplog.text


def test_a_missed_digest_is_built_once_at_start(tmp_path: Path, services) -> None:
    """SCH-1: the process was down at digest_time; at start the digest job runs at once."""
    db = tmp_path / "m.db"
    home = make_home(tmp_path, 'digest_time = "07:00"\n', watchlists=("thaad", "hotline"))
    now = datetime(2026, 5, 1, 7, 0, 6, tzinfo=UTC)
    service = make_service(home, db)
    services.append(service)
    assert service.pending_digest(now) == date(2026, 5, 1)
    service.start(now, paused=True)
    assert service.scheduler.get_job("digest").next_run_time == now


def test_no_catch_up_when_every_digest_row_exists(tmp_path: Path, services) -> None:
    db = tmp_path / "m.db"
    home = make_home(tmp_path, 'digest_time = "07:00"\n', watchlists=("thaad", "hotline"))
    now = datetime(2026, 5, 1, 7, 0, 6, tzinfo=UTC)
    service = make_service(home, db)
    services.append(service)
    store = open_store(db)
    row = {"date": "2026-05-01", "watchlist": "thaad", "generated_at": "2026-05-01T07:00:01Z"}
    store.db["digests"].insert(row)
    assert service.pending_digest(now) == date(2026, 5, 1)  # hotline is still missing
    store.db["digests"].insert({**row, "watchlist": "hotline"})
    store.close()
    assert service.pending_digest(now) is None
    service.start(now, paused=True)
    next_run = service.scheduler.get_job("digest").next_run_time.astimezone(UTC)
    assert next_run != now and next_run.timetz() == time_of_day(7, 0, tzinfo=UTC)  # per cron


# -- crawls: command, overlap, crash, timeout, stop -------------------------------------------


def test_a_crawl_runs_the_crawl_command_of_its_site(tmp_path: Path) -> None:
    launcher = FakeLauncher()
    db = tmp_path / "m.db"
    home = make_home(tmp_path)
    outcome = make_service(home, db, launcher).crawl_site("herald")
    assert outcome is not None and (outcome.how, outcome.returncode) == ("exited", 0)
    assert launcher.commands == [
        [
            sys.executable,
            "-m",
            "monitor",
            "--home",
            str(home.resolve()),
            "--db",
            str(db),
            "crawl",
            "--site",
            "herald",
        ],
    ]


def test_two_crawls_of_one_site_never_overlap(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, "monitor.scheduler")
    launcher = FakeLauncher(lambda command: FakeProcess(block=True))
    service = make_service(
        make_home(tmp_path, sites={"herald": "", "daily": ""}), tmp_path / "m.db", launcher
    )
    first = threading.Thread(target=service.crawl_site, args=["herald"])
    first.start()
    wait_until(lambda: len(launcher.processes) == 1)
    assert service.crawl_site("herald") is None
    assert "crawl:herald skipped: still running" in caplog.text
    other = threading.Thread(target=service.crawl_site, args=["daily"])
    other.start()  # another site may run meanwhile
    wait_until(lambda: len(launcher.processes) == 2)
    for process in launcher.processes:
        process.finish(0)
    first.join(5)
    other.join(5)
    assert service.running() == []
    assert len(launcher.commands) == 2


def test_the_scheduler_skips_a_run_while_the_last_one_runs(
    tmp_path: Path, services, caplog
) -> None:
    """SCH-5 through APScheduler itself: a crawl every second that takes longer."""
    caplog.set_level(logging.INFO, "monitor.scheduler")
    launcher = FakeLauncher(lambda command: FakeProcess(block=True))
    home = make_home(tmp_path, '[crawl]\nschedule = "* * * * * *"\n', watchlists=())
    service = make_service(home, tmp_path / "m.db", launcher, stop_grace=0.0)
    services.append(service)
    service.start()
    wait_until(lambda: "crawl:herald skipped: still running" in caplog.text)
    assert len(launcher.processes) == 1
    service.stop()
    assert launcher.processes[0].signals == ["TERM"]
    assert "crawl:herald ended: killed (shutdown)" in caplog.text


def test_a_crash_leaving_a_running_row_is_recorded(tmp_path: Path, store: Store) -> None:
    def crash(command: list[str]) -> FakeProcess:
        store.start_crawl("herald")
        return FakeProcess(-signal.SIGSEGV)

    service = make_service(make_home(tmp_path), store.path, FakeLauncher(crash))
    outcome = service.crawl_site("herald")
    assert outcome is not None and outcome.returncode == -signal.SIGSEGV
    row = crawl_row(store)
    assert (row["status"], row["failure"]) == ("failed", "crashed")
    assert row["finished_at"]


def test_a_failed_crawl_keeps_its_own_verdict(tmp_path: Path, store: Store) -> None:
    """``pressmon crawl`` exits 1 when the crawl failed; its row already says why."""

    def failed(command: list[str]) -> FakeProcess:
        crawl_id = store.start_crawl("herald")
        store.finish_crawl(crawl_id, "failed", {}, failure="robots")
        return FakeProcess(1)

    make_service(make_home(tmp_path), store.path, FakeLauncher(failed)).crawl_site("herald")
    assert (crawl_row(store)["status"], crawl_row(store)["failure"]) == ("failed", "robots")


def test_a_hung_crawl_is_killed_at_its_limit(tmp_path: Path, store: Store) -> None:
    processes: list[subprocess.Popen[bytes]] = []

    def hang(command: list[str]) -> subprocess.Popen[bytes]:
        processes.append(launch([sys.executable, "-c", "import time; time.sleep(60)"]))
        store.start_crawl("herald")  # as the real crawl would, once started
        return processes[-1]

    service = make_service(make_home(tmp_path), store.path, hang, kill_grace=5.0)
    started = time.monotonic()
    outcome = service.crawl_site("herald", timeout=0.5)
    assert outcome is not None and outcome.how == "timeout"
    assert 0.5 <= time.monotonic() - started < 5
    assert processes[0].poll() == -signal.SIGTERM
    row = crawl_row(store)
    assert (row["status"], row["failure"]) == ("failed", "time_limit")


def test_a_crawl_deaf_to_sigterm_is_killed_with_its_group(tmp_path: Path, store: Store) -> None:
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(child.pid, flush=True); time.sleep(60)"
    )
    grandchildren: list[int] = []

    def deaf(command: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
        )
        assert process.stdout is not None
        grandchildren.append(int(process.stdout.readline()))  # SIGTERM is ignored from here
        return process

    service = make_service(make_home(tmp_path), store.path, deaf, kill_grace=0.3)
    outcome = service.crawl_site("herald", timeout=0.2)
    assert outcome is not None and (outcome.how, outcome.returncode) == ("timeout", -signal.SIGKILL)
    wait_until(lambda: not _alive(grandchildren[0]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie waiting for its (killed) parent's reaper counts as gone
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_stop_gives_running_crawls_a_grace_then_marks_them(tmp_path: Path, store: Store) -> None:
    def slow(command: list[str]) -> FakeProcess:
        store.start_crawl("herald")
        return FakeProcess(block=True)

    launcher = FakeLauncher(slow)
    service = make_service(make_home(tmp_path), store.path, launcher, stop_grace=0.3)
    crawl = threading.Thread(target=service.crawl_site, args=["herald"])
    crawl.start()
    wait_until(lambda: launcher.processes != [])
    started = time.monotonic()
    service.stop()
    crawl.join(5)
    assert time.monotonic() - started >= 0.3
    assert launcher.processes[0].signals == ["TERM"]
    row = crawl_row(store)
    assert (row["status"], row["failure"]) == ("failed", "shutdown")
    assert service.crawl_site("herald") is None  # no new job once stopping


def test_a_crawl_closing_itself_on_sigterm_is_still_a_timeout(tmp_path: Path, store: Store) -> None:
    """Scrapy answers SIGTERM by closing its crawl as aborted; the reason was our time limit."""

    class Graceful(FakeProcess):
        def terminate(self) -> None:
            store.finish_crawl(crawl_row(store)["id"], "aborted", {}, failure="shutdown")
            super().terminate()

    def graceful(command: list[str]) -> FakeProcess:
        store.start_crawl("herald")
        return Graceful(block=True)

    service = make_service(make_home(tmp_path), store.path, FakeLauncher(graceful))
    outcome = service.crawl_site("herald", timeout=0.2)
    assert outcome is not None and outcome.how == "timeout"
    assert (crawl_row(store)["status"], crawl_row(store)["failure"]) == ("failed", "time_limit")


def test_serve_reloads_and_stops_on_request(tmp_path: Path, services, caplog) -> None:
    """What the signal handlers ask for: SIGHUP reloads, SIGTERM stops, a second one ends jobs."""
    caplog.set_level(logging.INFO, "monitor.scheduler")
    launcher = FakeLauncher(lambda command: FakeProcess(block=True))
    home = make_home(tmp_path, '[crawl]\nschedule = "* * * * * *"\n', watchlists=())
    service = make_service(home, tmp_path / "m.db", launcher, stop_grace=60.0)
    services.append(service)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(service.serve()))
    thread.start()
    wait_until(lambda: launcher.processes != [])
    service.request_reload("SIGHUP")
    wait_until(lambda: "reload: 1 sites, 0 watchlists" in caplog.text)
    service.request_stop("SIGTERM")
    wait_until(lambda: "waiting up to 60s for crawl:herald" in caplog.text)
    service.request_stop("SIGINT")
    thread.join(5)
    assert codes == [0]
    assert launcher.processes[0].signals == ["TERM"]
    assert "SIGINT again: ending running jobs now" in caplog.text


def test_mark_crawl_failed_only_touches_rows_of_this_run(store: Store) -> None:
    old = store.start_crawl("herald")
    store.db.execute("UPDATE crawls SET started_at = '2026-01-01T00:00:00Z' WHERE id = ?", [old])
    assert mark_crawl_failed(store.path, "herald", "2026-02-01T00:00:00Z", "timeout") is None
    assert store.crawl(old)["status"] == "running"


def test_a_launch_error_is_logged_not_raised(tmp_path: Path, caplog) -> None:
    def broken(command: list[str]) -> FakeProcess:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    service = make_service(make_home(tmp_path), tmp_path / "m.db", broken)
    assert service.crawl_site("herald") is None
    assert "crawl:herald: cannot start" in caplog.text
    assert service.running() == []


# -- reload ------------------------------------------------------------------------------


def test_reload_redeclares_the_jobs(tmp_path: Path, services, caplog) -> None:
    caplog.set_level(logging.INFO, "monitor.scheduler")
    home = make_home(tmp_path, sites={"herald": "", "daily": ""})
    service = make_service(home, tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    (home / "sites" / "daily.toml").unlink()
    write_site(home, "herald", 'schedule = "0 5 * * *"\n')
    write_site(home, "tribune")
    assert service.reload() is True
    ids = {job.id for job in service.scheduler.get_jobs()}
    assert ids == {"crawl:herald", "crawl:tribune", "digest", "alerts", "checkpoint"}
    fields = {f.name: str(f) for f in service.scheduler.get_job("crawl:herald").trigger.fields}
    assert (fields["minute"], fields["hour"]) == ("0", "5")
    assert "crawl:daily: removed (no longer configured)" in caplog.text


def test_reload_refuses_a_bad_config_and_keeps_the_old(tmp_path: Path, services, caplog) -> None:
    home = make_home(tmp_path)
    service = make_service(home, tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    config = service.config
    (home / "settings.toml").write_text("timezone = 'Asia/Seul'\n", encoding="utf-8")
    write_site(home, "tribune")
    assert service.reload() is False
    assert service.config is config
    assert {job.id for job in service.scheduler.get_jobs()} == {
        "crawl:herald",
        "digest",
        "alerts",
        "checkpoint",
    }
    assert "reload refused, keeping the running config:" in caplog.text
    assert "settings.toml:1: unknown timezone 'Asia/Seul'" in caplog.text


# -- lock, WAL, alerts -------------------------------------------------------------------


def test_the_lock_refuses_a_second_service(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with hold_lock(db) as path:
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(ServiceLockedError) as caught, hold_lock(db):
            pass
        assert str(db) in str(caught.value) and f"pid {os.getpid()}" in str(caught.value)
    with hold_lock(db):
        pass  # released with the first


def test_run_exits_2_when_the_database_is_served(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db = tmp_path / "m.db"
    with hold_lock(db):
        result = CliRunner().invoke(cli, ["--home", str(home), "--db", str(db), "run"])
    assert result.exit_code == 2, result.output
    assert f"{db} is already served by another `pressmon run` (pid {os.getpid()}" in result.output


def test_checkpoint_truncates_the_wal(store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, "monitor.scheduler")
    store.db["notes"].insert_all({"n": i} for i in range(500))
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.stat().st_size > 0
    checkpoint_wal(store.path)
    assert wal.stat().st_size == 0
    assert "checkpoint:" in caplog.text


def test_the_alert_job_does_nothing_without_subscribers(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG, "monitor.service_io")
    config = load_config(make_home(tmp_path))
    assert dispatch_alerts(tmp_path / "m.db", config) is None
    assert "alerts: no subscribers configured" in caplog.text
    assert not (tmp_path / "m.db").exists()


def test_a_wal_past_its_limit_is_a_warning(store: Store, caplog, monkeypatch) -> None:
    """DB-3: a WAL that grew (a reader starving checkpoints) is logged, then truncated."""
    monkeypatch.setattr(service_io, "WAL_WARN_BYTES", 1024)
    caplog.set_level(logging.INFO, "monitor.service_io")
    store.db["notes"].insert_all({"n": i} for i in range(500))
    before = checkpoint_wal(store.path)
    assert before > 1024 and service_io.wal_size(store.path) == 0
    assert "the WAL had grown to" in caplog.text


def test_a_stepped_wall_clock_is_noticed(caplog) -> None:
    """SCH-6: the wall clock against the monotonic one, checked every minute."""
    caplog.set_level(logging.WARNING, "monitor.service_io")
    wall = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    mono = [1000.0]
    watch = service_io.ClockWatch(lambda: wall[0], lambda: mono[0])
    wall[0] += timedelta(minutes=1)
    mono[0] += 60.5
    assert watch.check() is None  # ordinary drift
    wall[0] += timedelta(hours=3, minutes=1)
    mono[0] += 60
    assert watch.check() == pytest.approx(3 * 3600)
    assert "the wall clock jumped by +10800 s" in caplog.text
    wall[0] -= timedelta(minutes=9)
    mono[0] += 60
    assert watch.check() == pytest.approx(-600)


# -- CFG-1: secrets at start ----------------------------------------------------------


def test_start_warns_about_a_secret_written_in_a_shared_subscribers_file(
    tmp_path: Path, services, caplog
) -> None:
    home = make_home(tmp_path)
    path = home / "subscribers.toml"
    path.write_text(
        '[[subscriber]]\nname = "ops"\nhealth = true\n'
        'notify = ["json://ops:hunter2@127.0.0.1:9/hook"]\n',
        encoding="utf-8",
    )
    path.chmod(0o644)
    service = make_service(home, tmp_path / "m.db")
    services.append(service)
    service.start(paused=True)
    assert f"{path}:4: subscriber 'ops' channel 0 (json): a secret is written" in caplog.text
    caplog.clear()
    assert service.reload()
    assert f"reload: {path}:4: subscriber 'ops' channel 0 (json): a secret" in caplog.text
    assert "hunter2" not in caplog.text


def test_status_says_whether_the_service_runs(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db = tmp_path / "m.db"
    args = ["--home", str(home), "--db", str(db), "status"]
    assert service_pid(db) is None  # no lock file yet
    assert "service: not running; crawling now: nothing" in CliRunner().invoke(cli, args).output
    with hold_lock(db):
        assert service_pid(db) == os.getpid()
        shown = CliRunner().invoke(cli, args).output
        assert f"service: running (pid {os.getpid()}); crawling now: nothing" in shown
    assert service_pid(db) is None  # the lock file stays, unheld
    store = open_store(db)
    crawl_id = store.start_crawl("herald")
    store.db.execute(
        "UPDATE crawls SET pages = 12, started_at = ? WHERE id = ?",
        ["2026-03-02T09:00:00Z", crawl_id],
    )
    store.db.conn.commit()
    store.close()
    shown = CliRunner().invoke(cli, args).output
    assert "crawling now: herald (since 2026-03-02 09:00, 12 pages)" in shown
