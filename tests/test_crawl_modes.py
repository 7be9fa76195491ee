"""The same crawl, run different ways, stores the same thing; a stuck page never stalls it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import open_store
from tests.conftest import REPO, pressmon, write_home


def stored(db: Path) -> dict[str, str]:
    store = open_store(db)
    try:
        return {r["url"]: r["text"] for r in store.rows("SELECT url, text FROM articles")}
    finally:
        store.close()


def scrapy_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUTF8": "1"}
    command = [sys.executable, "-m", "scrapy", "crawl", "news", *args]
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=240, env=env, check=False
    )


@pytest.mark.parametrize("site", ["herald"])
def test_scrapy_crawl_pool_and_inline_extraction_store_the_same(tmp_path: Path, site: str) -> None:
    with SampleSite(sample_site_root()) as server:
        pooled = write_home(tmp_path / "pooled", server.base_url)
        inline = write_home(tmp_path / "inline", server.base_url, settings="extract_workers = 1\n")
        by_scrapy = scrapy_crawl(
            "-a", f"site={site}", "-a", f"home={pooled}", "-a", f"db={tmp_path / 'scrapy.db'}"
        )
        by_pressmon = pressmon(
            "--home", str(pooled), "--db", str(tmp_path / "pool.db"), "crawl", "--site", site
        )
        by_inline = pressmon(
            "--home", str(inline), "--db", str(tmp_path / "inline.db"), "crawl", "--site", site
        )
    for result in (by_scrapy, by_pressmon, by_inline):
        assert result.returncode == 0, result.stderr[-3000:]
    reference = stored(tmp_path / "pool.db")
    assert len(reference) >= 20
    assert stored(tmp_path / "scrapy.db") == reference
    assert stored(tmp_path / "inline.db") == reference


def hang_site(root: Path) -> Path:
    """A tiny site whose third article takes trafilatura seconds (a 10,000-row table)."""
    www = root / "www"
    (www / "news").mkdir(parents=True)
    links = "".join(f'<li><a href="/news/{n}.html">Story {n}</a></li>' for n in (1, 2, 3))
    (www / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>")
    for n in (1, 2):
        body = "".join(
            f"<p>Story {n}, paragraph {p}: the ministry said talks on the hotline "
            f"would resume in March, officials told reporters.</p>"
            for p in range(6)
        )
        (www / "news" / f"{n}.html").write_text(
            f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
            f"{body}</article></body></html>"
        )
    rows = "".join(f"<tr><td>cell {i}</td><td>value {i * 7}</td></tr>" for i in range(10_000))
    (www / "news" / "3.html").write_text(
        f"<html><body><article><h1>Table</h1><p>Intro.</p><table>{rows}</table>"
        "</article></body></html>"
    )
    (root / "sites").mkdir()
    (root / "sites" / "slow.toml").write_text(
        'name = "slow"\nstart_urls = ["{base_url}/"]\n'
        "article_urls = ['/news/\\d+\\.html']\ndelay = 0\n"
    )
    return root


def test_a_page_that_hangs_extraction_is_recorded_and_the_crawl_finishes(tmp_path: Path) -> None:
    root = hang_site(tmp_path / "site")
    with SampleSite(root) as server:
        home = write_home(
            tmp_path / "home",
            server.base_url,
            sites_dir=root / "sites",
            settings="extract_timeout = 0.5\nextract_workers = 2\n",
        )
        result = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "crawl")
        base = server.base_url
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(stored(tmp_path / "m.db")) == {f"{base}/news/1.html", f"{base}/news/2.html"}
    store = open_store(tmp_path / "m.db")
    kinds = {r["url"]: r["kind"] for r in store.rows("SELECT url, kind FROM crawl_errors")}
    store.close()
    assert kinds == {f"{base}/news/3.html": "extraction_timeout"}
