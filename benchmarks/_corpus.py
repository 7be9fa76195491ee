"""A seeded corpus of news articles with known story groups, for ``dedupe.py``.

Stories belong to topics. A topic has its own vocabulary, named people,
stock phrases ("the defence ministry said in a statement") and background
paragraphs that its stories reuse verbatim, as wire services do; so two
different stories on one topic share many words, phrases and sometimes whole
paragraphs, yet are different stories. Some stories get a *sibling*: a new
story that reuses up to 30% of its paragraphs (the background), and some
carry a recurring generic headline ("Market close: ..."): both must stay
apart.

A story's copies (same group) each apply one to three edits: a new headline,
a dateline, an added paragraph, a dropped paragraph, or up to 10% of words
changed (replaced, deleted or inserted). Copies arrive within two days of the
original; originals are spread evenly over ``days``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

FUNCTION_WORDS = (
    "the", "the", "the", "of", "of", "and", "and", "to", "to", "in", "a", "a", "that", "for",
    "on", "with", "as", "was", "is", "by", "at", "from", "it", "said", "said", "has", "have",
    "had", "be", "will", "would", "not", "but", "an", "this", "which", "after", "over", "about",
    "more", "their", "its", "also", "than", "been", "were", "who", "they", "he", "she", "could",
    "into", "up", "two", "last", "year", "new",
)  # fmt: skip
EDITS = ("headline", "dateline", "add_paragraph", "drop_paragraph", "words")
DATELINES = ("SEOUL (Yonhap) --", "BEIJING, Feb. 4 (Reuters) -", "TOKYO (AP) —", "SEOUL, (AFP) -")
RECURRING_TITLES = ("Market close: stocks end the day", "News summary for the afternoon")
START = datetime(2015, 1, 1, tzinfo=UTC)
TOPICS = 60


@dataclass
class Article:
    """One generated article; ``group`` is its story, ``edits`` how it differs from it."""

    group: int
    title: str
    text: str
    fetched_at: str
    site: str
    edits: list[str] = field(default_factory=list)


class Corpus:
    """Seeded generator of topics, stories and copies."""

    def __init__(self, seed: int = 7, topics: int = TOPICS) -> None:
        self.rng = random.Random(seed)
        self.general = [self._word() for _ in range(8000)]
        self.cum_weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.general))))
        self.topics = [self._topic() for _ in range(topics)]

    def _word(self) -> str:
        syllables = ("ka", "ro", "mi", "tel", "san", "por", "ve", "lin", "dus", "qua", "ber")
        count = self.rng.choice((1, 2, 2, 3, 3, 4))
        return "".join(self.rng.choice(syllables) for _ in range(count)) + self.rng.choice(
            "aeiounst"
        )

    def _general_word(self) -> str:
        """A general word, the frequent ones far more often (Zipf)."""
        return self.rng.choices(self.general, cum_weights=self.cum_weights)[0]

    def _topic(self) -> dict:
        vocab = [self._word() for _ in range(220)]
        names = [f"{self._word().title()} {self._word().title()}" for _ in range(25)]
        phrases = [self._phrase(vocab) for _ in range(30)]
        topic = {"vocab": vocab, "names": names, "phrases": phrases}
        topic["background"] = [self._paragraph(topic) for _ in range(5)]
        return topic

    def _phrase(self, vocab: list[str]) -> str:
        picks = [self.rng.choice((*FUNCTION_WORDS, *vocab)) for _ in range(self.rng.randint(4, 7))]
        return " ".join(picks)

    def _sentence(self, topic: dict) -> str:
        out: list[str] = []
        for _ in range(self.rng.randint(12, 28)):
            roll = self.rng.random()
            if roll < 0.40:
                out.append(self.rng.choice(FUNCTION_WORDS))
            elif roll < 0.72:
                out.append(self.rng.choice(topic["vocab"]))
            elif roll < 0.76:
                out.append(self.rng.choice(topic["names"]))
            elif roll < 0.82:
                out.append(self.rng.choice(topic["phrases"]))
            else:
                out.append(self._general_word())
        return " ".join(out).capitalize() + "."

    def _paragraph(self, topic: dict) -> str:
        return " ".join(self._sentence(topic) for _ in range(self.rng.randint(2, 4)))

    def _title(self, topic: dict) -> str:
        return " ".join(
            self.rng.choice(topic["vocab"]) for _ in range(self.rng.randint(6, 10))
        ).title()

    def story(self, topic: dict, borrowed: list[str] | None = None) -> tuple[str, list[str]]:
        """A new story's title and paragraphs (some from the topic's background)."""
        paragraphs = [self._paragraph(topic) for _ in range(self.rng.randint(6, 14))]
        if self.rng.random() < 0.4:
            paragraphs.insert(
                self.rng.randint(1, len(paragraphs)), self.rng.choice(topic["background"])
            )
        for paragraph in borrowed or []:
            paragraphs.insert(self.rng.randint(1, len(paragraphs)), paragraph)
        title = self._title(topic)
        if self.rng.random() < 0.02:
            title = f"{self.rng.choice(RECURRING_TITLES)} {self.rng.randint(1, 28)}"
        return title, paragraphs

    def copy(
        self, topic: dict, title: str, paragraphs: list[str]
    ) -> tuple[str, list[str], list[str]]:
        """An edited copy of a story: (title, paragraphs, edits applied)."""
        edits = self.rng.sample(EDITS, self.rng.choice((1, 1, 2, 2, 3)))
        paragraphs = list(paragraphs)
        if "headline" in edits:
            title = self._title(topic)
        if "dateline" in edits:
            paragraphs[0] = f"{self.rng.choice(DATELINES)} {paragraphs[0]}"
        if "add_paragraph" in edits:
            paragraphs.insert(self.rng.randint(1, len(paragraphs)), self._paragraph(topic))
        if "drop_paragraph" in edits:
            del paragraphs[self.rng.randrange(1, len(paragraphs))]
        if "words" in edits:
            paragraphs = self._change_words(paragraphs, self.rng.uniform(0.02, 0.10))
        return title, paragraphs, sorted(edits)

    def _change_words(self, paragraphs: list[str], share: float) -> list[str]:
        out = []
        for paragraph in paragraphs:
            tokens = paragraph.split()
            for _ in range(round(len(tokens) * share)):
                at, roll = self.rng.randrange(len(tokens)), self.rng.random()
                word = self._general_word()
                if roll < 0.6:
                    tokens[at] = word
                elif roll < 0.8 and len(tokens) > 1:
                    del tokens[at]
                else:
                    tokens.insert(at, word)
            out.append(" ".join(tokens))
        return out


def generate(count: int, seed: int = 7, days: int = 60) -> list[Article]:
    """``count`` articles in order of ``fetched_at``, with their story groups."""
    corpus = Corpus(seed)
    rng = corpus.rng
    articles: list[Article] = []
    group = 0
    while len(articles) < count:
        group += 1
        articles.extend(_group(corpus, rng, group, days, count))
    articles = articles[:count]
    articles.sort(key=lambda a: a.fetched_at)
    return articles


def _group(corpus: Corpus, rng: random.Random, group: int, days: int, count: int) -> list[Article]:
    """One story, its copies, and maybe a sibling story (its own group, id negated)."""
    topic = rng.choice(corpus.topics)
    when = START + timedelta(days=rng.uniform(0, days))
    title, paragraphs = corpus.story(topic)
    out = [Article(group, title, "\n\n".join(paragraphs), _iso(when), "origin")]
    for n in range(rng.choices((0, 1, 2, 3, 5), (50, 20, 15, 10, 5))[0]):
        copy_title, copy_paragraphs, edits = corpus.copy(topic, title, paragraphs)
        later = when + timedelta(hours=rng.uniform(0, 48))
        text = "\n\n".join(copy_paragraphs)
        out.append(Article(group, copy_title, text, _iso(later), f"outlet{n}", edits))
    if rng.random() < 0.08:
        shared = rng.sample(paragraphs, max(1, round(len(paragraphs) * rng.uniform(0.1, 0.3))))
        sibling_title, sibling = corpus.story(topic, borrowed=shared)
        later = when + timedelta(hours=rng.uniform(1, 72))
        out.append(
            Article(-group, sibling_title, "\n\n".join(sibling), _iso(later), "origin", ["sibling"])
        )
    return out


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_jsonl(articles: list[Article], path: Path) -> None:
    """One JSON object per line."""
    with path.open("w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(asdict(article)) + "\n")


def read_jsonl(path: Path) -> Iterator[Article]:
    """Stream articles back, one at a time (memory stays flat)."""
    with path.open(encoding="utf-8") as source:
        for line in source:
            yield Article(**json.loads(line))
