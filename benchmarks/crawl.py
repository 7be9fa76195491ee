"""Crawl throughput: the whole Press Monitor pipeline against bare trafilatura.

DESIGN.md ("Built for speed and for crashes from the start") sets the target:
the whole pipeline must be at least as fast as bare single-process trafilatura
on the same pages. This script measures both in one run, on one machine::

    /work/venv/bin/python benchmarks/crawl.py [--pages 2000] [--keep DIR]

1. Generates a seeded news site (articles of 600-1,200 words in full page
   furniture, listings, an RSS feed, a sitemap index) in a temporary directory.
2. (a) ``trafilatura.extract`` over the article HTML read from disk, one process;
   (d) ``monitor.extract.extract_article`` the same way (what each pool worker runs).
3. Serves the site from a separate process (``_site.py serve``) on 127.0.0.1.
4. (c) Scrapy alone: a minimal spider fetching every article URL, no pipelines,
   with the project's Scrapy settings; (b) ``python -m monitor crawl`` into a
   fresh SQLite file, timed from start to exit; checks every article was stored.
5. Prints pages/s for each, the ratio (b) / (a), the crawl's peak RSS and CPU.

Not a gate: exits 0 whatever the ratio, 1 only when something broke (a run
failed or the crawl stored the wrong number of articles).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _site  # the helper module next to this script

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SITE_NAME = "ledger"
BUSY_LIMIT = 0.15  # cores of foreign load past which a row is flagged


# -- (a) and (d): extraction in one process ----------------------------------------------


@dataclass
class Result:
    """One measured row of the table."""

    label: str
    pages: int
    seconds: float
    note: str = ""
    foreign: float | None = None  # cores used by other processes meanwhile

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


def read_pages(root: Path, paths: list[str], base_url: str) -> list[tuple[str, str]]:
    """(url, html) of every article, as served (``{base_url}`` filled in)."""
    www = root / "www"
    return [
        (base_url + p, (www / p.lstrip("/")).read_text("utf-8").replace("{base_url}", base_url))
        for p in paths
    ]


def bench_trafilatura(pages: list[tuple[str, str]]) -> Result:
    """(a) bare ``trafilatura.extract``: metadata on, comments off, no timeout signal."""
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    trafilatura.extract(pages[0][1], url=pages[0][0], config=config)  # warm-up, untimed
    empty = 0
    started = time.perf_counter()
    for url, html in pages:
        text = trafilatura.extract(
            html, url=url, with_metadata=True, include_comments=False, config=config
        )
        empty += not text
    seconds = time.perf_counter() - started
    return Result(
        "(a) bare trafilatura.extract, 1 process",
        len(pages) - empty,
        seconds,
        f"{empty} empty" if empty else "",
    )


def bench_extract_article(pages: list[tuple[str, str]]) -> Result:
    """(d) what one pool worker runs per page: ``extract_article`` (trafilatura + ours)."""
    from monitor.extract import extract_article

    extract_article(pages[0][1], pages[0][0], language="en")  # warm-up, untimed
    skipped = 0
    started = time.perf_counter()
    for url, html in pages:
        result = extract_article(html, url, language="en", boilerplate=_site.BOILERPLATE)
        skipped += result.skip_reason is not None
    seconds = time.perf_counter() - started
    return Result(
        "(d) monitor extract_article, 1 process",
        len(pages) - skipped,
        seconds,
        f"{skipped} skipped" if skipped else "",
    )


# -- the server ---------------------------------------------------------------------------


@contextmanager
def served(root: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The generated site on 127.0.0.1, served by its own process."""
    proc = subprocess.Popen(
        [PYTHON, str(Path(_site.__file__)), "serve", str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"the site server did not start (said {line!r})")
        yield proc, f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- watching a process tree (Linux /proc; silently nothing elsewhere) --------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = resource.getpagesize()


def _proc_stats() -> dict[int, tuple[int, float, int, int]]:
    """pid → (ppid, cpu seconds, rss bytes, start time) for every process."""
    found = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                raw = fh.read()
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2 :].split()
        cpu = (int(rest[11]) + int(rest[12])) / _TICK
        found[int(name)] = (int(rest[1]), cpu, int(rest[21]) * _PAGE, int(rest[19]))
    return found


def system_busy() -> float | None:
    """CPU seconds all processes have used since boot (``/proc/stat``), all cores together."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def load_average() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one live process."""
    stats = _proc_stats().get(pid)
    return stats[1] if stats else None


def own_cpu() -> float:
    """CPU seconds of this process and its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@contextmanager
def foreign_load(result_box: list[float | None], server_pid: int | None = None) -> Iterator[None]:
    """Cores other processes kept busy while the block ran (appended to ``result_box``)."""
    busy, own, server = system_busy(), own_cpu(), cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    busy_after = system_busy()
    server_after = cpu_seconds(server_pid) if server_pid else 0.0
    if busy is None or busy_after is None or server is None or server_after is None:
        result_box.append(None)
        return
    ours = own_cpu() - own + server_after - server
    result_box.append(max(busy_after - busy - ours, 0.0) / seconds if seconds else None)


@dataclass
class TreeWatch:
    """Samples a process and its descendants: CPU per process, peak total RSS."""

    root: int
    interval: float = 0.2
    cpu: dict[tuple[int, int], float] = field(default_factory=dict)
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreeWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            stats = _proc_stats()
            tree, frontier = set(), {self.root}
            while frontier:
                tree |= frontier
                frontier = {p for p, s in stats.items() if s[0] in frontier} - tree
            self.peak_rss = max(self.peak_rss, sum(stats[p][2] for p in tree if p in stats))
            for pid in tree & stats.keys():
                self.cpu[(pid, stats[pid][3])] = stats[pid][1]

    def others_cpu(self) -> float:
        """CPU seconds of every descendant (workers, fork server), last seen values."""
        return sum(v for (pid, _), v in self.cpu.items() if pid != self.root)

    def processes(self) -> int:
        return len({key for key in self.cpu if key[0] != self.root})


# -- (c) Scrapy alone ---------------------------------------------------------------------


def fetch_only_child(url_file: str, concurrency: int) -> None:
    """Child process: fetch every URL with the project's Scrapy settings and no pipelines."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    urls = Path(url_file).read_text("utf-8").split()
    counts = {"ok": 0, "chars": 0}

    class FetchOnly(scrapy.Spider):
        name = "fetch_only"

        async def start(self):  # type: ignore[no-untyped-def]
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            counts["ok"] += response.status == 200
            counts["chars"] += len(response.text)  # decode, as the real spider does
            return ()

    settings = get_project_settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "LOG_LEVEL": "WARNING",
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_START_DELAY": 0.01,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    process.crawl(FetchOnly)
    process.start()
    print(json.dumps(counts), flush=True)


def bench_scrapy(workdir: Path, base_url: str, paths: list[str], concurrency: int) -> Result:
    """(c) time the fetch-only child from start to exit."""
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(base_url + p for p in paths) + "\n", "utf-8")
    started = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, __file__, "--fetch-only", str(url_file), "--concurrency", str(concurrency)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"Scrapy-only fetch failed:\n{proc.stderr[-3000:]}")
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    return Result(
        "(c) Scrapy alone, no pipelines", int(counts["ok"]), seconds, "wall, incl. startup"
    )


# -- (b) the whole pipeline ---------------------------------------------------------------


@dataclass
class CrawlRun:
    """What the ``python -m monitor crawl`` subprocess did."""

    result: Result
    returncode: int
    stored: int
    maxrss_kb: int
    main_cpu: float
    workers_cpu: float
    workers: int
    tree_peak_rss: int
    server_cpu: float | None
    foreign_cpu: float | None
    scrapy_seconds: float | None
    crawl_row: dict
    error_kinds: dict[str, int]
    log: Path


def write_home(home: Path, base_url: str, pages: int, concurrency: int, workers: int) -> None:
    """A config directory holding only the generated site."""
    (home / "sites").mkdir(parents=True, exist_ok=True)
    settings = f"database = 'monitor.db'\nextract_workers = {workers}\n"
    (home / "settings.toml").write_text(settings, "utf-8")
    (home / "sites" / f"{SITE_NAME}.toml").write_text(
        _site.site_toml(base_url, pages, concurrency), "utf-8"
    )


def bench_pipeline(
    workdir: Path,
    base_url: str,
    pages: int,
    concurrency: int,
    workers: int,
    server_pid: int,
    profile: Path | None,
) -> CrawlRun:
    """(b) ``python -m monitor --home H --db D crawl``, wall time from start to exit."""
    home, db = workdir / "home", workdir / "crawl.db"
    db.unlink(missing_ok=True)
    write_home(home, base_url, pages, concurrency, workers)
    prefix = [PYTHON, "-m", "cProfile", "-o", str(profile)] if profile else [PYTHON]
    command = [*prefix, "-m", "monitor", "--home", str(home), "--db", str(db), "crawl"]
    log = workdir / "crawl.log"
    server_before, busy_before = cpu_seconds(server_pid), system_busy()
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=_env())
        watch = TreeWatch(proc.pid).start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        watch.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    server_after, busy_after = cpu_seconds(server_pid), system_busy()
    server_cpu = None
    if server_before is not None and server_after is not None:
        server_cpu = server_after - server_before
    main_cpu = usage.ru_utime + usage.ru_stime
    foreign = None
    if busy_before is not None and busy_after is not None:
        ours = main_cpu + watch.others_cpu() + (server_cpu or 0.0)
        foreign = max(busy_after - busy_before - ours, 0.0)
    stored, row, kinds = _read_db(db)
    result = Result(
        "(b) Press Monitor crawl, whole command",
        stored,
        seconds,
        "wall, incl. startup",
        foreign / seconds if foreign is not None else None,
    )
    return CrawlRun(
        result=result,
        returncode=proc.returncode,
        stored=stored,
        maxrss_kb=usage.ru_maxrss,
        main_cpu=main_cpu,
        workers_cpu=watch.others_cpu(),
        workers=watch.processes(),
        tree_peak_rss=watch.peak_rss,
        server_cpu=server_cpu,
        foreign_cpu=foreign,
        scrapy_seconds=_elapsed(row),
        crawl_row=row,
        error_kinds=kinds,
        log=log,
    )


def _read_db(db: Path) -> tuple[int, dict, dict[str, int]]:
    if not db.exists():
        return 0, {}, {}
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        last = conn.execute("SELECT * FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        kinds = dict(conn.execute("SELECT kind, count(*) FROM crawl_errors GROUP BY kind"))
    finally:
        conn.close()
    return int(stored), dict(last) if last else {}, kinds


def _elapsed(row: dict) -> float | None:
    try:
        return float(json.loads(row.get("stats") or "{}")["elapsed_time_seconds"])
    except (KeyError, TypeError, ValueError):
        return None


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("PRESSMON_HOME", None)
    return env


# -- report -------------------------------------------------------------------------------


def print_table(rows: list[Result], bare: Result, crawl: CrawlRun | None) -> None:
    print()
    print(f"{'':44} {'pages':>6} {'seconds':>8} {'pages/s':>8}")
    for row in rows:
        note = row.note
        if row.foreign is not None and row.foreign > BUSY_LIMIT:
            note += f" [BUSY MACHINE: other processes used {row.foreign:.2f} cores]"
        print(f"{row.label:44} {row.pages:>6} {row.seconds:>8.2f} {row.rate:>8.1f}  {note}")
    if crawl is None:
        return
    ratio = crawl.result.rate / bare.rate if bare.rate else 0.0
    verdict = "meets the goal" if ratio >= 1.0 else "BELOW the goal"
    print(f"{'ratio (b) / (a)':44} {'':>6} {'':>8} {ratio:>8.2f}  goal >= 1.00: {verdict}")
    if crawl.scrapy_seconds:
        rate = crawl.stored / crawl.scrapy_seconds
        print(
            f"{'    (b) inside Scrapy (engine open to close)':44} {crawl.stored:>6} "
            f"{crawl.scrapy_seconds:>8.2f} {rate:>8.1f}  ratio {rate / bare.rate:.2f}"
        )
    print()
    mb = 1024 * 1024
    print(
        f"crawl peak RSS (ru_maxrss of the crawl process): {crawl.maxrss_kb / 1024:.0f} MB; "
        f"whole tree incl. {crawl.workers} worker/fork-server processes: "
        f"{crawl.tree_peak_rss / mb:.0f} MB (sampled)"
    )
    server = f"{crawl.server_cpu:.1f}" if crawl.server_cpu is not None else "?"
    busy = crawl.main_cpu + crawl.workers_cpu + (crawl.server_cpu or 0.0)
    print(
        f"CPU seconds during the crawl: crawl process {crawl.main_cpu:.1f}, extraction "
        f"workers ~{crawl.workers_cpu:.1f}, site server {server}; "
        f"{busy / crawl.result.seconds:.2f} of {os.cpu_count()} cores busy"
    )
    busy_rows = [r for r in rows if r.foreign is not None and r.foreign > BUSY_LIMIT]
    if busy_rows:
        print("WARNING: other processes were busy during a measurement; rerun on an idle machine")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="articles to generate")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (else a temp dir)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests at once (site)")
    parser.add_argument(
        "--extract-workers",
        type=int,
        default=0,
        help="settings.extract_workers for the crawl (0 = one per core)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the crawl under cProfile, writing FILE (slows it down)",
    )
    parser.add_argument("--skip-extract", action="store_true", help="skip (a) and (d)")
    parser.add_argument("--skip-scrapy", action="store_true", help="skip (c)")
    parser.add_argument("--fetch-only", metavar="URLS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fetch_only:
        fetch_only_child(args.fetch_only, args.concurrency)
        return 0
    if args.pages < 1:
        parser.error("--pages must be at least 1")

    workdir = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="pm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "site"
    try:
        return run(args, workdir, root)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _measured(bench: Callable[..., Result], *args: object, server_pid: int | None = None) -> Result:
    box: list[float | None] = []
    with foreign_load(box, server_pid):
        result = bench(*args)
    result.foreign = box[0]
    return result


def run(args: argparse.Namespace, workdir: Path, root: Path) -> int:
    print(
        f"machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {load_average()}"
    )
    started = time.perf_counter()
    if root.exists():
        shutil.rmtree(root)
    paths = _site.generate(root, args.pages)
    sizes = [(root / "www" / p.lstrip("/")).stat().st_size for p in paths]
    print(
        f"site: {len(paths)} articles in {root} ({sum(sizes) / len(sizes) / 1024:.1f} KB "
        f"per page on average), built in {time.perf_counter() - started:.1f} s"
    )

    rows: list[Result] = []
    bare = None
    if not args.skip_extract:
        pages = read_pages(root, paths, "http://127.0.0.1:8000")
        print("measuring (a) bare trafilatura ...", flush=True)
        bare = _measured(bench_trafilatura, pages)
        rows.append(bare)
        print("measuring (d) extract_article ...", flush=True)
        rows.append(_measured(bench_extract_article, pages))
        del pages

    crawl = None
    with served(root) as (server, base_url):
        print(f"serving on {base_url} (pid {server.pid})")
        if not args.skip_scrapy:
            print("measuring (c) Scrapy alone ...", flush=True)
            rows.append(
                _measured(
                    bench_scrapy, workdir, base_url, paths, args.concurrency, server_pid=server.pid
                )
            )
        print("measuring (b) the Press Monitor crawl ...", flush=True)
        profile = Path(args.profile).resolve() if args.profile else None
        crawl = bench_pipeline(
            workdir,
            base_url,
            args.pages,
            args.concurrency,
            args.extract_workers,
            server.pid,
            profile,
        )
        rows.append(crawl.result)

    row = crawl.crawl_row
    print(
        f"crawl: exit {crawl.returncode}, status {row.get('status')}, "
        f"stored {crawl.stored} of {args.pages} articles, pages {row.get('pages')}, "
        f"fetched {row.get('fetched')}, errors {row.get('errors')}"
        + (f", error kinds {crawl.error_kinds}" if crawl.error_kinds else "")
    )
    broken = crawl.returncode != 0 or crawl.stored != args.pages
    if broken:
        print(f"ERROR: expected {args.pages} stored articles and exit 0; log: {crawl.log}")
        print(crawl.log.read_text("utf-8", errors="replace")[-3000:])
    print_table(rows, bare or Result("(a) not measured", 0, 0.0), crawl if bare else None)
    if not bare:
        print(f"\ncrawl peak RSS (ru_maxrss): {crawl.maxrss_kb / 1024:.0f} MB")
    if args.profile:
        print(
            f"\nprofile of the crawl process: {args.profile} "
            "(python -m pstats FILE; workers are not in it)"
        )
    if args.keep:
        print(f"kept: {workdir} (site/, home/, crawl.db, crawl.log)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
