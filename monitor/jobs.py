"""The jobs of ``pressmon run``, declared in code at every start (SCH-3).

``crawl:<site>`` per enabled site on its cron schedule in the configured
timezone, ``digest`` at ``digest_time``, ``alerts`` every minute and
``checkpoint`` (WAL) every hour, each with ``coalesce``, ``max_instances=1``
and a misfire grace time (SCH-1, SCH-2, SCH-5), in the in-memory job store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor._config_checks import cron_trigger
from monitor.config import Settings, Site

if TYPE_CHECKING:
    from monitor.scheduler import Service

log = logging.getLogger("monitor.scheduler")  # the service's one log, whatever module speaks

CRAWL_MISFIRE_SECONDS = 300  # a crawl may start up to 5 minutes late, then waits for its next run
DIGEST_MISFIRE_SECONDS = 3600  # SCH-1: a digest due while the process was down still runs
CRAWL_WORKERS = 16  # crawls running at once (each is one process)


def crawl_trigger(site: Site, timezone: str) -> CronTrigger:
    """The site's ``crawl.schedule`` read in ``timezone`` (5 fields, or 6 with seconds first)."""
    return cron_trigger(site.crawl.schedule, timezone)


def digest_trigger(settings: Settings) -> CronTrigger:
    """Every day at ``digest_time``, local time in ``timezone``."""
    hour, minute = settings.digest_time.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.timezone)


def new_scheduler() -> BackgroundScheduler:
    """A scheduler in UTC (SCH-6): small jobs on ``default``, crawls on ``crawls``."""
    return BackgroundScheduler(
        timezone=UTC,
        executors={
            "default": ThreadPoolExecutor(4),
            "crawls": ThreadPoolExecutor(CRAWL_WORKERS),
        },
        job_defaults={"coalesce": True, "max_instances": 1},
    )


@dataclass(frozen=True)
class JobSpec:
    """One job as declared: fixed id, what it calls, when, how late it may still start."""

    id: str
    func: Callable[..., Any]
    trigger: BaseTrigger
    misfire_grace: int
    args: tuple[Any, ...] = ()
    executor: str = "default"


def job_specs(service: Service) -> list[JobSpec]:
    """Every job ``service.config`` asks for: crawls, the digest (with watchlists), alerts, WAL."""
    config = service.config
    specs = [_crawl_spec(service, site) for site in config.sites.values() if site.enabled]
    if config.watchlists:
        trigger = digest_trigger(config.settings)
        specs.append(JobSpec("digest", service.build_digest, trigger, DIGEST_MISFIRE_SECONDS))
    specs.append(JobSpec("alerts", service.dispatch_alerts, IntervalTrigger(minutes=1), 60))
    specs.append(JobSpec("checkpoint", service.checkpoint, IntervalTrigger(hours=1), 600))
    return specs


def _crawl_spec(service: Service, site: Site) -> JobSpec:
    trigger = crawl_trigger(site, service.config.settings.timezone)
    return JobSpec(
        f"crawl:{site.name}",
        service.crawl_site,
        trigger,
        CRAWL_MISFIRE_SECONDS,
        args=(site.name,),
        executor="crawls",
    )


def declare_jobs(scheduler: BaseScheduler, specs: list[JobSpec]) -> None:
    """Add every job (``replace_existing``: SCH-3) and remove those no longer declared."""
    for spec in specs:
        scheduler.add_job(
            spec.func,
            spec.trigger,
            args=spec.args,
            id=spec.id,
            name=spec.id,
            executor=spec.executor,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=spec.misfire_grace,
        )
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
            log.info("%s: removed (no longer configured)", job.id)


def log_jobs(scheduler: BaseScheduler) -> None:
    """One line per job: its trigger and next run."""
    for job in sorted(scheduler.get_jobs(), key=lambda j: j.id):
        when = job.next_run_time.isoformat() if job.next_run_time else "paused"
        trigger = job.trigger
        if isinstance(trigger, CronTrigger):
            trigger = f"{trigger} in {trigger.timezone}"
        log.info("job %s: %s, next run %s", job.id, trigger, when)
