"""monitor.boilerplate: built-in furniture and boilerplate learned across a site's pages."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.boilerplate import (
    PAYWALL,
    candidate_lines,
    content_hash,
    has_paywall,
    is_furniture,
    line_key,
    remove_learned,
    strip_furniture,
)

# -- built-in furniture ------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "X",
        "MOST POPULAR",
        "  Back to List ",
        "More articles by this writer",
        "Share",
        "Print",
        "Subscribe",
        "Advertisement",
        "Related articles:",
        "Copyright Herald Corporation. All Rights Reserved.",
        "© 2024 Coastline Courier",
        "ⓒ 가상일보, 무단전재 및 재배포 금지",
        "Published : Feb. 4, 2015 - 20:14",
        "Updated: 2024-06-01 09:00",
        "입력 2024.03.05 14:20",
        "Subscribe to read the full story.",
        "|",
        "",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "China believes the THAAD could potentially target it.",
        "Updated rules will apply from 2025, the ministry said.",
        "Copyright holders say the new law goes too far.",
        "By Song Sang-ho (sshluck@heraldcorp.com)",
        "Share prices rose 3 percent.",
    ],
)
def test_content_lines(line: str) -> None:
    assert not is_furniture(line)


def test_furniture_glued_to_the_last_line() -> None:
    text = "Chang is to leave Seoul on Thursday.\nMore articles by this writerBack to List"
    assert strip_furniture(text) == "Chang is to leave Seoul on Thursday."
    assert strip_furniture("He left on Thursday.Back to List") == "He left on Thursday."
    assert strip_furniture("They went back to list") == "They went back to list"


def test_site_lines_are_furniture_but_never_cut_inside_words() -> None:
    text = "Real paragraph one.\nFollow us on KakaoTalk\nBring a checklist"
    assert strip_furniture(text, ["Follow us on KakaoTalk", "List"]) == (
        "Real paragraph one.\nBring a checklist"
    )


def test_headline_box_after_the_article_goes_with_its_heading() -> None:
    text = (
        "The issue of the THAAD deployment has emerged as one of the thorniest issues.\n"
        "MOST POPULAR\nSeoul stocks close higher on foreign buying\n"
        "Korean Air heiress indicted over nut rage incident"
    )
    assert strip_furniture(text).split("\n") == [text.split("\n")[0]]


def test_box_heading_followed_by_real_paragraphs_only_loses_the_heading() -> None:
    text = "Intro.\nRelated articles\n" + "A long paragraph that continues the story. " * 5
    assert (
        strip_furniture(text)
        == "Intro.\n" + ("A long paragraph that continues the story. " * 5).strip()
    )


# -- learned boilerplate -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Subscribe now to continue reading this story.",
        "LOG IN TO CONTINUE",
        "This story is only available to members",
        "\u017fub\u017fcribe to read",  # IGNORECASE lets a long s match s
        "Sign \u0130n to read",  # and a dotted capital I match i
        "유료회원 전용",
        "Subscribers  only",
        "subscribe for news",
        "Already a reader? Continue below.",
        "",
    ],
)
def test_has_paywall_is_the_paywall_regex(text: str) -> None:
    assert has_paywall(text) == bool(PAYWALL.search(text))
    assert has_paywall(f"A long article. {text} The end.") == bool(PAYWALL.search(text))


def test_line_key_normalises() -> None:
    assert line_key("Follow  us on Ｆacebook ") == line_key("follow us on facebook")
    assert line_key("Follow us") != line_key("Follow them")
    assert len(line_key("x")) == 16


def test_candidate_lines() -> None:
    long_line = "A real paragraph. " * 20
    text = f"Share on Facebook\n\n{long_line}\nShare on Facebook\nNewsletter sign-up"
    candidates = candidate_lines(text)
    assert set(candidates.values()) == {"Share on Facebook", "Newsletter sign-up"}
    assert candidate_lines(text, max_len=10) == {}


def test_remove_learned_keeps_everything_else() -> None:
    text = "Keep me.\nSponsored by Aldine Bank\nKeep me too."
    assert remove_learned(text, {line_key("sponsored by aldine bank")}) == "Keep me.\nKeep me too."
    assert remove_learned(text, set()) == text


def test_content_hash_ignores_whitespace_only() -> None:
    assert content_hash("a  b\n c ") == content_hash("a b c")
    assert content_hash("a b c") != content_hash("a b d")
    assert len(content_hash("")) == 64


class SiteMemory:
    """What the store does for one site: on how many pages each line key occurs."""

    def __init__(self, min_pages: int) -> None:
        self.min_pages = min_pages
        self.pages: Counter[str] = Counter()

    def learn(self, text: str) -> set[str]:
        self.pages.update(candidate_lines(text).keys())
        return {key for key, count in self.pages.items() if count >= self.min_pages}


def test_lines_shared_by_n_pages_are_learned_and_removed() -> None:
    furniture = ["Follow the Courier on social media", "Sponsored by Aldine Bank"]
    memory = SiteMemory(min_pages=3)
    cleaned = []
    for number in range(5):
        unique = [f"Story {number}: the council met on day {number}.", f"Quote number {number}."]
        text = "\n".join([unique[0], furniture[0], unique[1], furniture[1]])
        cleaned.append(remove_learned(text, memory.learn(text)))
    assert cleaned[0].count("\n") == 3 and cleaned[1].count("\n") == 3  # not learned yet
    for number, text in enumerate(cleaned[2:], start=2):
        assert text == f"Story {number}: the council met on day {number}.\nQuote number {number}."


def test_a_line_on_fewer_than_n_pages_is_kept() -> None:
    memory = SiteMemory(min_pages=3)
    memory.learn("Editor's note: corrected on Monday\nText A")
    learned = memory.learn("Editor's note: corrected on Monday\nText B")
    assert remove_learned("Editor's note: corrected on Monday\nText B", learned).count("\n") == 1
