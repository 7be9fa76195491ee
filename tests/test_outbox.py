"""The outbox: one delivery per subscriber, channel and story, written with the hit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import Config, Settings, Site, Watchlist
from monitor.health_watch import note_health_changes
from monitor.ingest import Ingester
from monitor.matching import compile_rules
from monitor.outbox import Outbox
from monitor.publish import publish_digest
from monitor.store import Store
from monitor.subscribers import Subscriber
from monitor.tagging import Tagger, retag
from tests._stories import SEED, SEED_TITLE, WIRE, WIRE_TITLE
from tests.test_ingest import page

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def subscriber(name: str, channels: int = 2, **fields: object) -> Subscriber:
    notify = tuple(f"json://127.0.0.1:9/{name}/{n}" for n in range(channels))
    values = {"watchlists": ("missile-defense", "hotline"), "mode": "instant"} | fields
    return Subscriber(name=name, path=Path("subscribers.toml"), line=1, notify=notify, **values)


SUBSCRIBERS = {
    "desk": subscriber("desk"),
    "hotline-only": subscriber("hotline-only", 1, watchlists=("hotline",)),
    "analysts": subscriber("analysts", 1, mode="digest"),
    "off": subscriber("off", 1, enabled=False),
    "ops": subscriber("ops", 1, watchlists=(), health=True),
}
TAGGER = Tagger(
    [
        compile_rules("missile-defense", terms=["THAAD", "missile defense"]),
        compile_rules("hotline", terms=["hotline*"]),
    ]
)


def ingester(store: Store) -> Ingester:
    outbox = Outbox(store, SUBSCRIBERS)
    return Ingester(store, store.start_crawl("herald"), tagger=TAGGER, outbox=outbox)


def deliveries(store: Store) -> list[tuple]:
    rows = store.db.execute(
        "SELECT subscriber, channel, kind, ref, watchlist, status FROM deliveries ORDER BY id"
    )
    return [tuple(row) for row in rows.fetchall()]


def test_a_story_is_queued_once_per_instant_subscriber_and_channel(store: Store) -> None:
    with store.write():
        seed = ingester(store).ingest(page("https://h.test/seed", SEED, title=SEED_TITLE))
    cluster = str(store.article(seed.article_id)["cluster_id"])
    assert deliveries(store) == [
        ("desk", 0, "story", cluster, "missile-defense", "pending"),
        ("desk", 1, "story", cluster, "missile-defense", "pending"),
        ("hotline-only", 0, "story", cluster, "hotline", "pending"),
    ]


def test_the_same_story_from_another_outlet_a_revision_or_a_retag_adds_nothing(
    store: Store,
) -> None:
    with store.write():
        ingester(store).ingest(page("https://h.test/seed", SEED, title=SEED_TITLE))
    before = deliveries(store)
    wire = page("https://d.test/wire", WIRE, title=WIRE_TITLE, site="daily")
    revised = page("https://h.test/seed", SEED + "\nUpdated with a hotline.", title=SEED_TITLE)
    with store.write():
        copy = ingester(store).ingest(wire)
        again = ingester(store).ingest(revised)
    assert (copy.kind, again.kind) == ("near_duplicate", "revised")
    retag(store, TAGGER)
    assert deliveries(store) == before


def test_an_article_without_hits_queues_nothing(store: Store) -> None:
    with store.write():
        ingester(store).ingest(page("https://h.test/x", "A story about the weather in Busan."))
    assert deliveries(store) == []


def test_a_built_digest_is_queued_once_for_digest_subscribers(store: Store, tmp_path: Path) -> None:
    day = NOW.date()
    for _ in range(2):  # rebuilding the digest does not send it again
        publish_digest(
            store,
            "hotline",
            day,
            timezone="UTC",
            digest_time="07:00",
            out=tmp_path,
            formats=["md"],
            outbox=Outbox(store, SUBSCRIBERS),
        )
    assert deliveries(store) == [
        ("analysts", 0, "digest", f"{day.isoformat()}/hotline", "hotline", "pending")
    ]


def config_with(tmp_path: Path) -> Config:
    site = Site(name="herald", path=tmp_path / "herald.toml", start_urls=("http://h.test/",))
    watchlist = Watchlist(name="hotline", path=tmp_path / "hotline.toml", terms=("hotline",))
    return Config(tmp_path, Settings(), {"herald": site}, {"hotline": watchlist}, SUBSCRIBERS)


def crawl(store: Store, status: str, failure: str | None, at: datetime) -> None:
    crawl_id = store.start_crawl("herald")
    store.db.execute("UPDATE crawls SET started_at = ? WHERE id = ?", [_iso(at), crawl_id])
    store.finish_crawl(crawl_id, status, {"fetched": 1}, failure=failure)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_health_subscribers_hear_once_when_a_site_fails_and_once_when_it_recovers(
    store: Store, tmp_path: Path
) -> None:
    config = config_with(tmp_path)
    crawl(store, "failed", "http_403", NOW)
    assert note_health_changes(store, config, NOW) == 1
    assert note_health_changes(store, config, NOW + timedelta(minutes=1)) == 0
    crawl(store, "failed", "http_403", NOW + timedelta(minutes=30))
    assert note_health_changes(store, config, NOW + timedelta(minutes=31)) == 0
    crawl(store, "ok", None, NOW + timedelta(hours=1))
    assert note_health_changes(store, config, NOW + timedelta(hours=1, minutes=1)) == 1
    kinds = [(row[0], row[2], row[3].split("/")[:2]) for row in deliveries(store)]
    assert kinds == [
        ("ops", "health", ["herald", "failing"]),
        ("ops", "health", ["herald", "recovered"]),
    ]
    detail = store.scalar("SELECT detail FROM site_health WHERE site = 'herald'")
    assert detail == "ok"


def test_a_site_first_seen_healthy_is_no_news(store: Store, tmp_path: Path) -> None:
    crawl(store, "ok", None, NOW)
    assert note_health_changes(store, config_with(tmp_path), NOW) == 0
    assert store.scalar("SELECT state FROM site_health") == "ok"
