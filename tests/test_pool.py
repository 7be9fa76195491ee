"""monitor.pool: extraction in worker processes with a hard time limit (EXT-5)."""

from __future__ import annotations

import concurrent.futures
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pebble import ProcessExpired

from monitor.extract import extract_article
from monitor.items import Extracted
from monitor.pool import ExtractPool, InlinePool

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = ["seed_koreaherald", "korean_date", "listing_section", "paywall_teaser", "json_body"]
TIMEOUT = 2.0


def fixture_page(case: str) -> str:
    return (FIXTURES / case / "input.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractPool]:
    with ExtractPool(workers=2, timeout=TIMEOUT) as extract_pool:
        yield extract_pool


@pytest.mark.parametrize("case", CASES)
def test_pool_matches_in_process_extraction(pool: ExtractPool, case: str) -> None:
    html, url = fixture_page(case), f"https://news.example.org/{case}"
    future = pool.submit(html, url, "en", ("Back to List",))
    assert isinstance(future, concurrent.futures.Future)
    expected = extract_article(html, url, language="en", boilerplate=("Back to List",))
    assert future.result(timeout=10) == expected


def test_a_hanging_task_times_out_and_the_pool_goes_on(pool: ExtractPool) -> None:
    started = time.monotonic()
    hung = pool.submit_call(time.sleep, 60)
    with pytest.raises(concurrent.futures.TimeoutError):
        hung.result(timeout=TIMEOUT + 10)
    assert time.monotonic() - started < TIMEOUT + 5
    after = pool.submit(fixture_page("korean_date"), "https://news.example.org/k", "ko", ())
    assert after.result(timeout=10).published_at == "2024-03-05T14:20:00Z"


def test_a_crashing_worker_fails_only_its_task(pool: ExtractPool) -> None:
    crashed = pool.submit_call(os._exit, 3)
    with pytest.raises(ProcessExpired):
        crashed.result(timeout=10)
    assert pool.submit_call(sum, [1, 2, 3]).result(timeout=10) == 6


def test_workers_run_in_other_processes_with_a_memory_cap(pool: ExtractPool) -> None:
    assert pool.submit_call(os.getpid).result(timeout=10) != os.getpid()
    soft, _ = pool.submit_call(resource.getrlimit, resource.RLIMIT_AS).result(timeout=10)
    assert soft == 2048 * 1024 * 1024


def test_workers_are_recycled_after_max_tasks() -> None:
    with ExtractPool(workers=1, timeout=TIMEOUT, max_tasks=1, memory_limit_mb=None) as small:
        first = small.submit_call(os.getpid).result(timeout=10)
        second = small.submit_call(os.getpid).result(timeout=10)
    assert first != second


def test_closed_pool_takes_no_more_work() -> None:
    extract_pool = ExtractPool(workers=1, timeout=TIMEOUT)
    assert extract_pool.workers == 1
    extract_pool.close()
    with pytest.raises(RuntimeError):
        extract_pool.submit_call(sum, [1])


def test_zero_workers_means_one_per_core() -> None:
    extract_pool = ExtractPool(workers=0)
    try:
        assert extract_pool.workers == (os.cpu_count() or 1)
    finally:
        extract_pool.close()


def test_inline_pool_has_the_same_interface() -> None:
    html, url = fixture_page("seed_koreaherald"), "https://news.example.org/seed"
    with InlinePool(timeout=30.0) as inline:
        future = inline.submit(html, url, "en", ())
        assert future.done()
        assert future.result() == extract_article(html, url, language="en")
        assert isinstance(future.result(), Extracted)
        failed = inline.submit_call(int, "not a number")
    with pytest.raises(ValueError):
        failed.result()
