"""Near-duplicate clustering: pair precision and recall, speed and memory.

Issue 3 sets the bar: over 20,000 generated articles with known story groups,
pair precision ≥ 0.98 and recall ≥ 0.95, at least 1,000 articles/s on one core,
peak RSS growth under 100 MB::

    /work/venv/bin/python benchmarks/dedupe.py [--articles 20000] [--no-ablations]

1. Generates the corpus (``_corpus.py``, seeded) into a JSON-lines file.
2. For each configuration, a fresh child process pinned to one CPU streams the
   file into a fresh SQLite store: ``Store.insert_article`` then the real
   ``StoryClusters.assign``, 50 articles per transaction as the crawl's store
   pipeline does. A baseline child does the same without ``assign``.
3. Prints pair precision / recall against the known groups, recall per kind of
   edit, sibling stories wrongly joined, and three speeds: time inside
   ``assign`` alone, the clustering's marginal cost over the baseline (which
   also charges it the commits of its index rows), and the whole loop.
   Memory: peak RSS (``VmHWM``) at the end minus RSS after opening the store;
   ``ru_maxrss`` is not used because Linux carries the parent's peak over into
   a child across ``fork``/``exec``.

Configurations: thresholds 0.3–0.7 with the shipped parameters, then ablations
at 0.5 (shingle length, Jaccard without containment, the LSH tuning, no title
signal). Not a gate: it prints and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _corpus  # the helper module next to this script

WINDOW_DAYS = 30
BATCH = 50
ABLATIONS = {
    "words k=2": {"WORD_K": 2},
    "words k=4": {"WORD_K": 4},
    "Jaccard only": {"MIN_CONTAINMENT_SHINGLES": 10**9},
    "LSH for thr x 0.7": {"CANDIDATE_FACTOR": 0.7},
    "LSH for thr x 1.0": {"CANDIDATE_FACTOR": 1.0},
    "no title signal": {"TITLE_SUPPORT": 10.0},
}


# -- child: one configuration, one process, one core ------------------------------------


def child(corpus: Path, db: Path, threshold: float | None, overrides: dict) -> dict:
    """Store (and unless ``threshold`` is None, cluster) the corpus; return measurements."""
    from monitor import clusters, dedupe
    from monitor.store import ArticleRecord, open_store

    for name, value in overrides.items():
        setattr(dedupe if hasattr(dedupe, name) else clusters, name, value)
    checks = _count_checks(dedupe)
    store = open_store(db)
    index = clusters.StoryClusters(store, threshold, WINDOW_DAYS) if threshold else None
    rss_start = _rss_mb("VmRSS")
    assign_seconds, count = 0.0, 0
    started, started_cpu = time.perf_counter(), time.process_time()
    signals: Counter[str] = Counter()
    for batch in _batches(_corpus.read_jsonl(corpus)):
        with store.write():
            for article in batch:
                count += 1
                record = ArticleRecord(
                    url=f"https://{article.site}.test/{count}", site=article.site,
                    title=article.title, author=None, published_at=None, date_source=None,
                    fetched_at=article.fetched_at, language="en", text=article.text,
                    content_hash=str(count), word_count=0,
                )  # fmt: skip
                article_id = store.insert_article(record)
                if index is None:
                    continue
                tick = time.process_time()
                match = index.assign(article_id, article.text, article.title, article.fetched_at)
                assign_seconds += time.process_time() - tick
                signals[match.signal or "own"] += 1
    result = {
        "articles": count,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - started_cpu,
        "assign_seconds": assign_seconds,
        "rss_growth_mb": _rss_mb("VmHWM") - rss_start,
        "rss_peak_mb": _rss_mb("VmHWM"),
    }
    if index is not None:
        result |= _index_figures(store, index, checks["n"] / count, signals)
        cluster_of = dict(store.db.execute("SELECT id, cluster_id FROM articles").fetchall())
        result |= score(corpus, cluster_of)
    store.close()
    return result


def _count_checks(dedupe) -> Counter:
    """Count the text checks (candidates verified) by wrapping ``dedupe.similarity``."""
    checks: Counter[str] = Counter()
    similarity = dedupe.similarity

    def counted(a, b):
        checks["n"] += 1
        return similarity(a, b)

    dedupe.similarity = counted
    return checks


def _batches(articles, size: int = BATCH):
    batch = []
    for article in articles:
        batch.append(article)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _index_figures(store, index, checks: float, signals: Counter) -> dict:
    return {
        "checks_per_article": checks,
        "signals": dict(signals),
        "banding": [index.bands, index.rows],
        "bucket_rows": store.scalar("SELECT count(*) FROM lsh_buckets")
        + store.scalar("SELECT count(*) FROM lsh_recent"),
        "signature_rows": store.scalar("SELECT count(*) FROM article_signatures"),
    }


def _rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak, this process image only) in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def score(corpus: Path, cluster_of: dict[int, int]) -> dict:
    """Pair precision / recall against the known groups, and recall per edit."""
    groups, predicted, cells = Counter(), Counter(), Counter()
    origin: dict[int, int] = {}
    copies: list[tuple[int, int, list[str]]] = []
    for article_id, article in enumerate(_corpus.read_jsonl(corpus), start=1):
        cluster = cluster_of[article_id]
        groups[article.group] += 1
        predicted[cluster] += 1
        cells[(article.group, cluster)] += 1
        if article.site == "origin" and not article.edits:
            origin[article.group] = article_id
        if article.edits:
            copies.append((article_id, article.group, article.edits))
    true_pairs, found_pairs, right_pairs = _pairs(groups), _pairs(predicted), _pairs(cells)
    return {
        "precision": right_pairs / found_pairs if found_pairs else 1.0,
        "recall": right_pairs / true_pairs if true_pairs else 1.0,
        "true_pairs": true_pairs,
        "found_pairs": found_pairs,
        "by_edit": _recall_by_edit(copies, origin, cluster_of),
    }


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def _recall_by_edit(copies: list, origin: dict[int, int], cluster_of: dict[int, int]) -> dict:
    """Per edit: copies in their original's story; for siblings: how many were wrongly joined."""
    seen, hit = Counter(), Counter()
    for article_id, group, edits in copies:
        original = origin.get(abs(group))
        if original is None:
            continue
        same = cluster_of[article_id] == cluster_of[original]
        for edit in edits if group > 0 else ["sibling"]:
            seen[edit] += 1
            hit[edit] += same
    return {edit: [hit[edit], seen[edit]] for edit in sorted(seen)}


# -- parent: generate once, run every configuration -------------------------------------


def run_child(corpus: Path, workdir: Path, threshold: float | None, overrides: dict) -> dict:
    """One configuration in a fresh process (its own memory, its own database)."""
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    spec = json.dumps({"threshold": threshold, "overrides": overrides})
    done = subprocess.run(
        [sys.executable, __file__, "--child", spec, str(corpus), str(db)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    for path in workdir.glob(db.name + "*"):
        path.unlink()
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_row(label: str, threshold: float, result: dict, baseline: dict) -> None:
    """One line of the results table."""
    n = result["articles"]
    marginal = n / max(result["cpu_seconds"] - baseline["cpu_seconds"], 1e-9)
    result["marginal_per_s"] = marginal
    print(
        f"{label:<18} {threshold:>4.2f}  {result['precision']:.4f}  {result['recall']:.4f}"
        f"  {n / result['assign_seconds']:>7.0f}  {marginal:>7.0f}  {n / result['seconds']:>5.0f}"
        f"  {result['rss_growth_mb']:>6.1f}  {result['checks_per_article']:>5.2f}"
        f"  {result['banding'][0]}x{result['banding'][1]}"
        + ("" if _passes(result) else "  MISSES A TARGET")
    )


def _passes(result: dict) -> bool:
    return (
        result["precision"] >= 0.98
        and result["recall"] >= 0.95
        and result["marginal_per_s"] >= 1000
        and result["rss_growth_mb"] < 100
    )


def print_details(result: dict) -> None:
    """Recall per edit, signals, index size, for one configuration."""
    edits = ", ".join(f"{k} {h}/{n}" for k, (h, n) in result["by_edit"].items())
    print(f"    copies in their story, by edit: {edits}")
    print(
        f"    joined by {result['signals']}; pairs {result['found_pairs']} found,"
        f" {result['true_pairs']} true; index at the end: {result['signature_rows']}"
        f" signatures, {result['bucket_rows']} bucket rows; peak RSS {result['rss_peak_mb']:.0f} MB"
    )


def main() -> int:
    """Generate, run every configuration, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--thresholds", default="0.3,0.4,0.5,0.6,0.7")
    parser.add_argument("--no-ablations", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec, corpus, db = args.child
        options = json.loads(spec)
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(json.dumps(child(Path(corpus), Path(db), options["threshold"], options["overrides"])))
        return 0
    with tempfile.TemporaryDirectory(prefix="pmdedupe-") as tmp:
        return run_all(args, Path(tmp))


def run_all(args: argparse.Namespace, workdir: Path) -> int:
    """The parent's work: corpus, baseline, then the table."""
    corpus = workdir / "corpus.jsonl"
    describe_corpus(corpus, args.articles, args.seed)
    describe_parameters()
    baseline = run_child(corpus, workdir, None, {})
    print(
        f"baseline (insert_article only): {baseline['articles'] / baseline['seconds']:.0f}"
        f" articles/s ({baseline['articles'] / baseline['cpu_seconds']:.0f} per CPU second),"
        f" RSS growth {baseline['rss_growth_mb']:.1f} MB"
    )
    print(
        f"{'configuration':<18} {'thr':>4}  {'prec':<6}  {'recall':<6}  {'assign/s':>7}"
        f"  {'marg./s':>7}  {'all/s':>5}  {'RSS+MB':>6}  {'check':>5}  bands"
    )
    for threshold in (float(t) for t in args.thresholds.split(",")):
        result = run_child(corpus, workdir, threshold, {})
        print_row("shipped", threshold, result, baseline)
        print_details(result)
    if not args.no_ablations:
        for label, overrides in ABLATIONS.items():
            result = run_child(corpus, workdir, 0.5, overrides)
            print_row(label, 0.5, result, baseline)
            print_details(result)
    print(
        "targets: precision >= 0.98, recall >= 0.95, >= 1000 articles/s (marg./s), RSS growth"
        " < 100 MB.\nassign/s: CPU time inside StoryClusters.assign; marg./s: CPU time of the"
        " whole loop minus the baseline's (so the commits of the index rows count too); all/s:"
        " wall clock of the whole loop, insert_article and its full-text indexing included;"
        " check: candidate texts checked per article. Speeds are per CPU second because the"
        " machine is shared: wall-clock rates drop when other work runs on the same core."
    )
    return 0


def describe_corpus(corpus: Path, count: int, seed: int) -> None:
    """Generate the corpus file and say what is in it."""
    started = time.perf_counter()
    articles = _corpus.generate(count, seed=seed)
    _corpus.write_jsonl(articles, corpus)
    groups = Counter(a.group for a in articles)
    edits = Counter(edit for a in articles for edit in a.edits)
    words = sum(len(a.text.split()) for a in articles) / len(articles)
    print(
        f"corpus: {len(articles)} articles in {len(groups)} stories"
        f" ({sum(n > 1 for n in groups.values())} with copies; true pairs {_pairs(groups)}),"
        f" {words:.0f} words on average, {_corpus.TOPICS} topics, seed {seed},"
        f" fetched over 60 days; generated in {time.perf_counter() - started:.1f} s"
    )
    print(f"edits: {dict(sorted(edits.items()))}")


def describe_parameters() -> None:
    """The shipped parameters the runs use."""
    from monitor import _lsh, clusters, dedupe

    print(
        f"parameters: shingles of {dedupe.WORD_K} words ({dedupe.CHAR_K} characters for"
        f" Hangul/CJK); MinHash {dedupe.NUM_PERM} permutations, seed {dedupe.SEED};"
        f" similarity = max(Jaccard, containment from {dedupe.MIN_CONTAINMENT_SHINGLES}"
        f" shingles); LSH tuned for threshold x {clusters.CANDIDATE_FACTOR}; candidates"
        f" skipped under estimated Jaccard threshold x {clusters.ESTIMATE_FLOOR}; same title"
        f" joins from threshold x {clusters.TITLE_SUPPORT}; buffer merged every"
        f" {_lsh.MERGE_EVERY} articles; window {WINDOW_DAYS} days; one CPU per run"
    )


if __name__ == "__main__":
    sys.exit(main())
