"""Publishing a digest: build it, store it, write every format and the rolling feed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from monitor.atom import render_atom, write_rolling_atom
from monitor.digest import Digest, build_digest, save_digest
from monitor.exports import (
    FORMATS,
    ExportError,
    export_path,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    safe_name,
    write_file,
)
from monitor.outbox import Outbox
from monitor.store import Store

RENDERERS = {
    "md": render_markdown,
    "html": render_html,
    "csv": render_csv,
    "json": render_json,
    "atom": render_atom,
}


@dataclass(frozen=True)
class Published:
    """A digest built, stored and exported, with the files written."""

    digest: Digest
    paths: tuple[Path, ...]


def publish_digest(
    store: Store,
    watchlist: str,
    day: date,
    *,
    timezone: str,
    digest_time: str,
    out: Path,
    formats: Iterable[str] = FORMATS,
    generated_at: datetime | None = None,
    outbox: Outbox | None = None,
) -> Published:
    """Build the digest dated ``day``, store it (replacing a rebuilt one), write its exports.

    Files go to ``<out>/<day>/<watchlist>.<ext>``; with ``atom`` among the
    formats the rolling ``<out>/<watchlist>.atom`` is rewritten too.
    """
    name = safe_name(watchlist)
    chosen = list(dict.fromkeys(formats))
    unknown = [fmt for fmt in chosen if fmt not in RENDERERS]
    if unknown:
        raise ExportError(f"unknown export format {unknown[0]!r} (known: {', '.join(FORMATS)})")
    targets = {fmt: export_path(out, day, name, fmt) for fmt in chosen}  # refuse before writing
    digest = build_digest(
        store, name, day, timezone=timezone, digest_time=digest_time, generated_at=generated_at
    )
    with store.write():  # the digest and its deliveries (digest-mode subscribers) together
        save_digest(store, digest, render_markdown(digest))
        if outbox is not None:
            outbox.digest(day.isoformat(), name)
    paths = [write_file(path, RENDERERS[fmt](digest)) for fmt, path in targets.items()]
    if "atom" in targets:
        paths.append(write_rolling_atom(store, name, out, digest.generated_at))
    return Published(digest, tuple(paths))
