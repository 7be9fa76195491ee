"""The Scrapy pipelines, driven without a reactor: from_crawler → process_item."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler

from monitor.config import CrawlSettings, Site, Watchlist, load_config
from monitor.items import FetchError, Page, SourceFetched
from monitor.settings import crawl_settings
from monitor.store import open_store
from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline
from tests.conftest import write_home

ARTICLE_HTML = """<html lang="en"><head><title>Hotline agreed | Seoul Herald</title>
<meta property="article:published_time" content="2015-02-04T20:14:00+09:00"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Hotline agreed</h1>
<p>During the defense ministers' talks, the two sides agreed to establish a hotline between
the two ministries at an early date this year to deepen strategic communication.</p>
<p>Seoul also agreed to return the remains of 68 Chinese troops killed during the 1950-53
Korean War in March. Last year, Seoul repatriated the remains of 437 Chinese troops.</p>
<p>The Chinese minister shared the view that the alliance contributes to deterring
provocations and managing stability and peace in East Asia, officials said.</p>
</article><div>MOST POPULAR</div><footer>Back to List</footer></body></html>"""


def fake_spider(tmp_path: Path) -> SimpleNamespace:
    site = Site(
        name="herald",
        path=tmp_path / "herald.toml",
        start_urls=("http://127.0.0.1/herald/",),
        boilerplate=("Back to List",),
        crawl=CrawlSettings(delay=0),
    )
    watchlists = {
        "hotline": Watchlist(name="hotline", path=tmp_path / "hotline.toml", terms=("hotline",)),
        "thaad": Watchlist(name="thaad", path=tmp_path / "thaad.toml", terms=("THAAD",)),
    }
    config = SimpleNamespace(watchlists=watchlists)
    return SimpleNamespace(site=site, db_path=tmp_path / "m.db", name="news", config=config)


def crawler_with(spider: SimpleNamespace, **settings):
    crawler = get_crawler(settings_dict=settings)
    crawler.spider = spider
    return crawler


def page(url: str = "http://127.0.0.1/herald/view/1.html") -> Page:
    return Page(url=url, site="herald", html=ARTICLE_HTML, fetched_at="2015-02-04T12:00:00Z")


@pytest.mark.parametrize("workers", [1, 2])
def test_extract_pipeline_fills_the_page(tmp_path: Path, workers: int) -> None:
    crawler = crawler_with(fake_spider(tmp_path), MONITOR_EXTRACT_WORKERS=workers)
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        item = asyncio.run(pipeline.process_item(page()))
    finally:
        pipeline.close_spider()
    assert item.extracted.skip_reason is None
    assert "hotline" in item.extracted.text
    assert "MOST POPULAR" not in item.extracted.text
    assert "Back to List" not in item.extracted.text
    assert crawler.stats.get_value("monitor/extract/article") == 1


def test_extract_pipeline_passes_other_items_through(tmp_path: Path) -> None:
    pipeline = ExtractPipeline.from_crawler(
        crawler_with(fake_spider(tmp_path), MONITOR_EXTRACT_WORKERS=1)
    )
    pipeline.open_spider()
    error = FetchError(url="http://x.test/a", site="herald", kind="http_404", message="404")
    try:
        assert asyncio.run(pipeline.process_item(error)) is error
    finally:
        pipeline.close_spider()


def test_store_pipeline_writes_a_crawl_and_its_funnel(tmp_path: Path) -> None:
    spider = fake_spider(tmp_path)
    crawler = crawler_with(spider, MONITOR_EXTRACT_WORKERS=1)
    extract = ExtractPipeline.from_crawler(crawler)
    store_pipeline = StorePipeline.from_crawler(crawler)
    extract.open_spider()
    store_pipeline.open_spider()
    crawler.stats.set_value("monitor/listings", 1)
    crawler.stats.set_value("monitor/discovered", 3)
    items = [
        page(),
        page("http://127.0.0.1/herald/view/2.html"),
        FetchError(
            url="http://127.0.0.1/herald/view/3.html",
            site="herald",
            kind="http_500",
            message="HTTP 500",
            status=500,
        ),
        SourceFetched(
            url="http://127.0.0.1/herald/",
            site="herald",
            kind="listing",
            status=200,
            links=3,
            etag='"v1"',
        ),
    ]
    try:
        for item in items:
            store_pipeline.process_item(asyncio.run(extract.process_item(item)))
        store_pipeline.close_spider()
        store_pipeline.spider_closed(spider, "finished")
    finally:
        extract.close_spider()
    store = open_store(spider.db_path)
    crawl = store.crawl(spider.crawl_id)
    assert crawl["status"] == "ok"
    assert (crawl["listings"], crawl["discovered"], crawl["extracted"]) == (1, 3, 2)
    assert (crawl["articles_new"], crawl["duplicates"], crawl["errors"]) == (1, 1, 1)
    assert crawl["matched"] == 1
    hit = store.rows('SELECT watchlist, terms, count, strength, "where", snippet FROM hits')
    assert hit == [
        {
            "watchlist": "hotline",
            "terms": '["hotline"]',
            "count": 2,
            "strength": 4,
            "where": "title,lead",
            "snippet": "During the defense ministers' talks, the two sides agreed to establish a "
            "[[hotline]] between the two ministries at an early date this year to deepen "
            "strategic communication. Seoul also agreed to return…",
        }
    ]
    assert store.validators("http://127.0.0.1/herald/") == ('"v1"', None)
    assert store.scalar("SELECT kind FROM crawl_errors") == "http_500"
    store.close()


def test_a_crawl_whose_sources_all_fail_is_failed_with_the_cause(tmp_path: Path) -> None:
    spider = fake_spider(tmp_path)
    crawler = crawler_with(spider)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(
        FetchError(
            url="http://127.0.0.1/herald/",
            site="herald",
            kind="http_403",
            message="listing: HTTP 403",
            status=403,
            page=False,
        )
    )
    pipeline.close_spider()
    pipeline.spider_closed(spider, "finished")
    store = open_store(spider.db_path)
    crawl = store.crawl(spider.crawl_id)
    assert (crawl["status"], crawl["failure"]) == ("failed", "http_403")
    store.close()


def test_store_pipeline_takes_the_dedupe_settings(tmp_path: Path) -> None:
    spider = fake_spider(tmp_path)
    crawler = crawler_with(spider, MONITOR_DEDUPE_THRESHOLD=0.7, MONITOR_DEDUPE_WINDOW_DAYS=14)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        assert pipeline.ingester is not None
        assert pipeline.ingester.clusters.threshold == 0.7
        assert pipeline.ingester.clusters.window.days == 14
    finally:
        pipeline.close_spider()
        pipeline.spider_closed(spider, "finished")


def test_crawl_settings_carry_the_dedupe_config(tmp_path: Path) -> None:
    home = write_home(
        tmp_path / "home",
        "http://127.0.0.1:1",
        settings="[dedupe]\nthreshold = 0.6\nwindow_days = 10\n",
    )
    config = load_config(home)
    values = crawl_settings(config, config.sites["herald"])
    assert values["MONITOR_DEDUPE_THRESHOLD"] == 0.6
    assert values["MONITOR_DEDUPE_WINDOW_DAYS"] == 10
