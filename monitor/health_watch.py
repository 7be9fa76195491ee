"""Health alerts: a site turning failing or silent, and recovering, is news once.

:func:`note_health_changes` judges every enabled site as ``status`` does
(:mod:`monitor.site_status`), compares with the state remembered in
``site_health`` and, for each change into or out of ``failing``/``silent``,
writes one ``health`` row per health subscriber and channel into the outbox,
in the same transaction as the new state. Sites never crawled are not judged.
"""

from __future__ import annotations

from datetime import datetime

from monitor import clock
from monitor.config import Config
from monitor.outbox import Outbox
from monitor.site_status import status_rows
from monitor.store import Store

BAD = ("failing", "silent")


def note_health_changes(store: Store, config: Config, now: datetime | None = None) -> int:
    """Record each enabled site's health; queue health alerts for changes. The rows added."""
    moment = now or clock.now()
    rows = [r for r in status_rows(store, config, now=moment) if r["enabled"]]
    outbox = Outbox(store, config.subscribers)
    added = 0
    with store.write():
        known = {r["site"]: r for r in store.rows("SELECT site, state FROM site_health")}
        for row in rows:
            if row["health"] == "never_crawled":
                continue
            before = known.get(row["site"], {}).get("state")
            if before == row["health"]:
                continue
            added += _change(store, outbox, row, before, clock.iso(moment))
    return added


def _change(store: Store, outbox: Outbox, row: dict, before: str | None, since: str) -> int:
    """Remember the new state; alert when it goes bad, or good again after being bad."""
    state = row["health"]
    store.db.execute(
        "INSERT INTO site_health (site, state, detail, since) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (site) DO UPDATE SET state = excluded.state, detail = excluded.detail, "
        "since = excluded.since",
        [row["site"], state, row["health_text"], since],
    )
    went_bad = state in BAD
    recovered = state == "ok" and before in BAD
    if not (went_bad or recovered):
        return 0
    return outbox.health(row["site"], "recovered" if recovered else state, since)


def health_detail(store: Store, site: str) -> str | None:
    """What the last judgment of ``site`` said (for the alert's text)."""
    return store.scalar("SELECT detail FROM site_health WHERE site = ?", [site])
