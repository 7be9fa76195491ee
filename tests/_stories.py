"""Hand-made variants of one story, for the near-duplicate tests.

The story is the sample site's seed article (the Korea Herald THAAD piece);
its wire copy and Korean edition come from the sample site's sources too.
"""

from __future__ import annotations

import tomllib
from functools import cache

from monitor.samplesite import sample_site_root


@cache
def _article(site: str, key: str) -> dict:
    source = sample_site_root() / "src" / f"{site}.toml"
    articles = tomllib.loads(source.read_text(encoding="utf-8"))["article"]
    return next(a for a in articles if a["key"] == key)


def text_of(site: str, key: str) -> str:
    """Body of a sample-site article, paragraphs separated by blank lines."""
    return _article(site, key)["body"].strip()


def title_of(site: str, key: str) -> str:
    """Headline of a sample-site article."""
    return _article(site, key)["title"]


SEED = text_of("herald", "2015020401")
SEED_TITLE = title_of("herald", "2015020401")
WIRE = text_of("daily", "china-voices-worry-over-us-missile-shield")
WIRE_TITLE = title_of("daily", "china-voices-worry-over-us-missile-shield")
KOREAN = text_of("daily", "thaad-debate-korean-edition")
KOREAN_TITLE = title_of("daily", "thaad-debate-korean-edition")

SAME_TOPIC_TITLE = "Seoul says no decision yet on THAAD as U.S. general urges deployment"
SAME_TOPIC = """\
The commander of U.S. Forces Korea on Tuesday renewed his call for the deployment of the \
Terminal High Altitude Area Defense system to the peninsula, saying the missile defense \
asset would better counter North Korean threats.

Seoul's defense ministry said no decision has been made and that Washington has yet to \
request official consultation on the THAAD deployment, repeating its stance of "no \
request, no consultation, no decision."

China has voiced concerns that the THAAD radar could be used to monitor its territory, and \
Beijing's foreign ministry urged Seoul on Tuesday to take its security interests into \
account.

Lawmakers of the ruling party called for an early decision to strengthen the alliance with \
the U.S., while the main opposition party warned that the deployment could hurt relations \
with China, South Korea's largest trading partner.

Analysts said the government would face growing pressure to clarify how the Korea Air and \
Missile Defense system, a low-tier program under development, would relate to any U.S. \
missile defense battery stationed here.

The defense ministry is expected to brief the National Assembly's defense committee on the \
issue next week, officials said."""


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``."""
    return [p for p in text.split("\n\n") if p.strip()]


def with_paragraph(text: str, extra: str, at: int) -> str:
    """``text`` with ``extra`` inserted as paragraph number ``at``."""
    parts = paragraphs(text)
    parts.insert(at, extra)
    return "\n\n".join(parts)


def without_paragraph(text: str, at: int) -> str:
    """``text`` with paragraph number ``at`` dropped."""
    parts = paragraphs(text)
    del parts[at]
    return "\n\n".join(parts)


def words_changed(text: str, every: int) -> str:
    """Every ``every``-th word replaced by another word (every=10: 10% of words)."""
    out = []
    for n, word in enumerate(text.split(" "), start=1):
        out.append(f"word{n}" if n % every == 0 else word)
    return " ".join(out)


EXTRA_PARAGRAPH = (
    "Military officials said working-level talks on the hotline would begin next month, "
    "with the line expected to connect the two ministries' operations directorates."
)
UPDATED_LEAD = (
    "China's defense minister on Wednesday voiced concerns over a possible U.S. deployment of "
    "an advanced missile defense battery in South Korea, officials said, as the two countries "
    "agreed to open a defense hotline this year."
)
