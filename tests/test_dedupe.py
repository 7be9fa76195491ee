"""Near-duplicate detection, pure: shingles, signatures, bands, similarity, title keys."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash

from monitor import dedupe
from monitor.config import DedupeSettings
from tests._stories import (
    EXTRA_PARAGRAPH,
    KOREAN,
    SAME_TOPIC,
    SEED,
    UPDATED_LEAD,
    WIRE,
    paragraphs,
    with_paragraph,
    without_paragraph,
    words_changed,
)

THRESHOLD = DedupeSettings().threshold


def similarity(a: str, b: str) -> float:
    return dedupe.similarity(dedupe.shingle_hashes(a), dedupe.shingle_hashes(b))


# -- shingles ---------------------------------------------------------------------------


def test_words_are_nfkc_casefolded_without_punctuation() -> None:
    assert dedupe.words("ＴＨＡＡＤ: Seoul’s “No decision”—yet!") == [
        "thaad",
        "seoul",
        "s",
        "no",
        "decision",
        "yet",
    ]


def test_case_spacing_and_punctuation_do_not_change_shingles() -> None:
    a = dedupe.shingle_hashes("The hotline, agreed on Wednesday, opens THIS year.")
    b = dedupe.shingle_hashes("the  hotline agreed on wednesday -- opens this year")
    assert np.array_equal(a, b)


def test_word_shingles_are_the_distinct_runs_of_three_words() -> None:
    words = dedupe.words(SEED)
    expected = {tuple(words[i : i + dedupe.WORD_K]) for i in range(len(words) - 2)}
    shingles = dedupe.shingle_hashes(SEED)
    assert len(shingles) == len(expected)
    assert np.all(shingles[1:] > shingles[:-1])  # sorted, unique


def test_short_and_empty_texts() -> None:
    assert dedupe.shingle_hashes("").size == 0
    assert dedupe.shingle_hashes("— … !").size == 0
    assert dedupe.shingle_hashes("THAAD").size == 1
    assert dedupe.shingle_hashes("THAAD hotline").size == 1


def test_hangul_text_is_shingled_by_characters_so_spacing_does_not_matter() -> None:
    spaced = dedupe.shingle_hashes("사드 배치 논란 다시 확산")
    unspaced = dedupe.shingle_hashes("사드배치논란다시확산")
    assert np.array_equal(spaced, unspaced)
    assert len(unspaced) == len("사드배치논란다시확산") - dedupe.CHAR_K + 1


def test_a_few_korean_words_in_english_text_stay_word_shingles() -> None:
    text = "The watchlist term 사드 matches THAAD in Korean copy of the story"
    assert len(dedupe.shingle_hashes(text)) == len(dedupe.words(text)) - 2


def test_hashes_are_the_same_in_another_process() -> None:
    """Signatures outlive processes: no per-process randomised hash()."""
    code = (
        "import json; from monitor import dedupe; "
        "s = dedupe.shingle_hashes(open(0).read()); "
        "print(json.dumps([s.tolist(), dedupe.band_keys(dedupe.signature(s), 32, 4)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=SEED,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    shingles, keys = json.loads(done.stdout)
    here = dedupe.shingle_hashes(SEED)
    assert shingles == here.tolist()
    assert keys == dedupe.band_keys(dedupe.signature(here), 32, 4)


# -- MinHash and LSH --------------------------------------------------------------------


def test_signature_is_datasketchs_minhash() -> None:
    shingles = dedupe.shingle_hashes(SEED)
    reference = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.SEED, hashfunc=int)
    reference.update_batch((shingles >> np.uint64(32)).tolist())
    assert np.array_equal(dedupe.signature(shingles), reference.hashvalues)


def test_signature_round_trips_through_bytes_and_estimates_jaccard() -> None:
    a, b = dedupe.shingle_hashes(SEED), dedupe.shingle_hashes(WIRE)
    blob = dedupe.signature_bytes(dedupe.signature(b))
    assert len(blob) == 4 * dedupe.NUM_PERM
    assert np.array_equal(dedupe.signature_from_bytes(blob), dedupe.signature(b))
    assert dedupe.estimate(dedupe.signature(a), blob) == pytest.approx(
        dedupe.jaccard(a, b), abs=0.1
    )


def test_band_keys_are_small_ints_one_per_band() -> None:
    keys = dedupe.band_keys(dedupe.signature(dedupe.shingle_hashes(SEED)), 32, 4)
    assert len(keys) == 32 and len(set(keys)) == 32
    assert all(0 <= key < 2**47 for key in keys)


def test_equal_band_values_in_different_bands_give_different_keys() -> None:
    sig = np.full(dedupe.NUM_PERM, 7, dtype=np.uint32)
    assert len(set(dedupe.band_keys(sig, 32, 4))) == 32


@pytest.mark.parametrize("threshold", [0.3, 0.35, 0.5])
def test_banding_finds_pairs_above_the_threshold_and_few_below(threshold: float) -> None:
    bands, rows = dedupe.lsh_banding(threshold)
    chance = lambda s: 1 - (1 - s**rows) ** bands  # noqa: E731
    assert bands * rows <= dedupe.NUM_PERM
    assert 0.3 < chance(threshold) < 0.9  # the S-curve turns at the threshold
    assert chance(threshold + 0.2) > 0.95
    assert chance(0.05) < 0.01


# -- similarity -------------------------------------------------------------------------


def test_jaccard_and_containment() -> None:
    a = np.arange(100, dtype=np.uint64)
    b = np.arange(50, 200, dtype=np.uint64)
    assert dedupe.jaccard(a, b) == pytest.approx(50 / 200)
    assert dedupe.containment(a, b) == pytest.approx(50 / 100)
    assert dedupe.similarity(a, b) == pytest.approx(0.5)
    assert dedupe.jaccard(dedupe.EMPTY, dedupe.EMPTY) == 0.0


def test_containment_ignores_texts_too_short_to_mean_anything() -> None:
    short = np.arange(10, dtype=np.uint64)
    long = np.arange(1000, dtype=np.uint64)
    assert dedupe.containment(short, long) == 0.0
    assert dedupe.similarity(short, long) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("variant", "text"),
    [
        ("wire copy on another outlet", WIRE),
        ("added paragraph", with_paragraph(SEED, EXTRA_PARAGRAPH, 3)),
        ("dropped paragraph", without_paragraph(SEED, 4)),
        ("10% of words changed", words_changed(SEED, 10)),
        ("re-written lead, added paragraph", with_paragraph(SEED, UPDATED_LEAD, 0)),
        ("dateline", "SEOUL (Yonhap) -- " + SEED),
    ],
)
def test_variants_of_one_story_pass_the_threshold(variant: str, text: str) -> None:
    assert similarity(SEED, text) >= THRESHOLD, variant


def test_changed_words_with_a_dropped_paragraph_pass_thanks_to_containment() -> None:
    text = without_paragraph(words_changed(SEED, 10), 2)
    shingles = dedupe.shingle_hashes(SEED), dedupe.shingle_hashes(text)
    assert dedupe.jaccard(*shingles) < 0.6
    assert dedupe.similarity(*shingles) >= THRESHOLD + 0.15


def test_a_same_topic_story_stays_well_below_the_threshold() -> None:
    assert similarity(SEED, SAME_TOPIC) < THRESHOLD / 2
    assert similarity(WIRE, SAME_TOPIC) < THRESHOLD / 2


def test_a_translation_shares_nothing() -> None:
    """Shingles do not cross languages: the Korean edition is its own story (no translation)."""
    assert similarity(SEED, KOREAN) == 0.0


def test_korean_copies_pass_the_threshold() -> None:
    copy = KOREAN.replace("말했다", "밝혔다").replace(
        "중국 국방부장이", "(서울=연합뉴스) 중국 국방부장이"
    )
    assert similarity(KOREAN, copy) >= 0.9
    assert similarity(KOREAN, words_changed(KOREAN, 10)) >= THRESHOLD


def test_an_excerpt_is_contained_but_not_jaccard_similar() -> None:
    excerpt = "\n\n".join(paragraphs(SEED)[:3])
    shingles = dedupe.shingle_hashes(SEED), dedupe.shingle_hashes(excerpt)
    assert dedupe.jaccard(*shingles) < 0.3
    assert dedupe.similarity(*shingles) == 1.0


# -- titles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "China raises concerns over missile defense",
        "China raises concerns over missile defense - Yonhap",
        "China raises concerns over missile defense | The Korea Herald",
        "China raises concerns over missile defense – Yonhap News Agency",
        "(LEAD) China raises concerns over missile defense",
        "(URGENT) China raises concerns over missile defense",
        "(2nd LD) China raises concerns over missile defense (LEAD)",
        "UPDATE 2-China raises concerns over missile defense",
        "EXCLUSIVE-China raises concerns over missile defense",
        "[Herald Interview] China raises concerns over missile defense",
        "CHINA RAISES CONCERNS OVER MISSILE DEFENSE",
        "China raises concerns over missile defense | Politics | Peninsula Daily",
        "China raises concerns over missile defense!",
    ],
)
def test_outlet_names_and_wire_tags_are_stripped_from_titles(title: str) -> None:
    assert dedupe.normalise_title(title) == "china raises concerns over missile defense"


def test_title_keys_keep_words_that_belong_to_the_title() -> None:
    assert (
        dedupe.normalise_title("US-China talks resume in Seoul") == "us china talks resume in seoul"
    )
    assert (
        dedupe.normalise_title("Won slides past 1,100 per dollar")
        == "won slides past 1 100 per dollar"
    )
    assert dedupe.normalise_title('사드 배치 논란…국방부 "결정된 바 없다"') == (
        "사드 배치 논란 국방부 결정된 바 없다"
    )


@pytest.mark.parametrize("title", [None, "", "Weather", "[Editorial] THAAD dilemma", "Photo News"])
def test_titles_too_short_to_tell_stories_apart_have_no_key(title: str | None) -> None:
    assert dedupe.title_key(title) is None


def test_a_korean_title_has_a_key() -> None:
    assert dedupe.title_key('사드 배치 논란 다시 확산…국방부 "결정된 바 없다"')
