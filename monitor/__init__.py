"""Press Monitor: crawl news sites, keep the article, tag watchlists, store in SQLite."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
