"""Near-duplicate detection, as pure functions: shingles, MinHash, LSH bands, title keys.

Nothing here touches SQL; :mod:`monitor.clusters` stores and looks up what
these functions compute. Every hash is stable across processes and machines
(code points times SplitMix64 constants, MurmurHash3 finalisers, datasketch's
seeded permutations, all in wrapping numpy arithmetic), never Python's
per-process randomised ``hash()``: signatures and bucket keys outlive the
process that made them. Whole texts are hashed in a few numpy operations, not
a Python call per word, because clustering must keep up with 1,000 articles/s.

Text is compared as a set of shingles: runs of ``WORD_K`` consecutive words,
or, for Hangul and CJK text (which particles glue to words, or which has no
spaces at all), runs of ``CHAR_K`` characters. Parameters were chosen with
``benchmarks/dedupe.py``; its README section records the figures.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
from datasketch import MinHash

WORD_K = 3
"""Words per shingle (3: ≤10% changed words keep J ≈ .57 while same-topic stories stay < .1)."""
CHAR_K = 4
"""Characters per shingle for Hangul/CJK text."""
NUM_PERM = 128
SEED = 1
SCHEME = f"words{WORD_K}-chars{CHAR_K}-perm{NUM_PERM}-seed{SEED}-affine32-v1"
"""Names everything that shapes a signature; a stored signature of another scheme is stale."""
MIN_CONTAINMENT_SHINGLES = 40
"""Containment counts only when the smaller text has this many shingles (~2 paragraphs)."""
MIN_ROWS = 3
"""Fewest MinHash values per LSH band (see :func:`lsh_banding`)."""
MIN_TITLE_WORDS = 3
MIN_TITLE_CJK = 6

_WORD = re.compile(r"\w+")
_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x3040, 0x30FF),
    (0x3400, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
)
_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_FMIX32 = (
    (np.uint32(16), np.uint32(0x85EBCA6B)),
    (np.uint32(13), np.uint32(0xC2B2AE35)),
    np.uint32(16),
)
EMPTY = np.zeros(0, dtype=np.uint64)


# -- shingles ---------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """NFKC and case-folded: the form every shingle is taken from."""
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The words of ``text`` after :func:`normalise_text`; punctuation is dropped."""
    return _WORD.findall(normalise_text(text))


def shingle_hashes(text: str) -> np.ndarray:
    """The sorted, unique 64-bit hashes of the shingles of ``text`` (empty when no words).

    Works on code points in numpy, whole text at once: the words are the runs
    of ``\\w`` characters, as :func:`words` finds them.
    """
    points = np.frombuffer(normalise_text(text).encode("utf-32-le"), dtype=np.uint32)
    in_word = _word_character(points)
    letters = points[in_word].astype(np.uint64)
    if not letters.size:
        return EMPTY
    if _mostly_cjk(letters):
        return _kgrams(_fmix64(letters), CHAR_K)
    starts_word = in_word & ~np.concatenate(([False], in_word[:-1]))
    return _kgrams(_word_hashes(letters, starts_word[in_word]), WORD_K)


def _word_hashes(letters: np.ndarray, first: np.ndarray) -> np.ndarray:
    """One 64-bit hash per word: Σ code point × constant of its position in the word."""
    starts = np.flatnonzero(first)
    position = np.arange(len(letters)) - starts[np.cumsum(first) - 1]
    weighted = letters * _POSITION[position & (len(_POSITION) - 1)]
    return _fmix64(np.add.reduceat(weighted, starts))


def _mostly_cjk(letters: np.ndarray) -> bool:
    """Whether most letters are Hangul/CJK (then shingles are character runs)."""
    if letters.max() < _CJK_RANGES[0][0]:
        return False
    cjk = np.zeros(len(letters), dtype=bool)
    for low, high in _CJK_RANGES:
        cjk |= (letters >= low) & (letters <= high)
    return int(np.count_nonzero(cjk)) * 2 > len(letters)


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """For every code point of the Basic Multilingual Plane: is it a ``\\w`` character?"""
    return np.array([bool(_WORD.match(chr(point))) for point in range(0x10000)], dtype=bool)


def _word_character(points: np.ndarray) -> np.ndarray:
    """``\\w`` test for code points (beyond the BMP: letters, i.e. rare CJK ideographs)."""
    table = _word_table()
    if not points.size or points.max() < 0x10000:
        return table[points]
    return np.where(points < 0x10000, table[points & 0xFFFF], True)


def _kgrams(units: np.ndarray, k: int) -> np.ndarray:
    """Hash every run of ``k`` consecutive units into one 64-bit value."""
    k = min(k, len(units))
    count = len(units) - k + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(k):
        combined = (combined ^ units[offset : offset + count]) * _MIX
    return _sorted_unique(_fmix64(combined))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` for a 1-d array, by sorting (several times faster here)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the output."""
    shift, first, second = _FMIX64
    values = (values ^ (values >> shift)) * first
    values = (values ^ (values >> shift)) * second
    return values ^ (values >> shift)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch's pre-mix for the affine32 scheme)."""
    (s1, m1), (s2, m2), s3 = _FMIX32
    values = (values ^ (values >> s1)) * m1
    values = (values ^ (values >> s2)) * m2
    return values ^ (values >> s3)


def _splitmix64(seed: int, count: int) -> np.ndarray:
    """``count`` odd 64-bit constants from SplitMix64: the same on every machine."""
    mask, out, state = (1 << 64) - 1, [], seed
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append((z ^ (z >> 31)) | 1)
    return np.array(out, dtype=np.uint64)


_POSITION = _splitmix64(SEED, 64)
_BAND_SALT = _splitmix64(SEED + 1, NUM_PERM)


# -- similarity -------------------------------------------------------------------------


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Shingles two sorted unique hash arrays have in common."""
    return int(np.intersect1d(a, b, assume_unique=True).size)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / |A ∪ B| of two shingle sets (0 when both are empty)."""
    common = overlap(a, b)
    union = len(a) + len(b) - common
    return common / union if union else 0.0


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / min(|A|, |B|): how much of the shorter text the longer one holds.

    0 when the shorter text is under ``MIN_CONTAINMENT_SHINGLES``: a headline-sized
    text is contained in too many articles to mean anything.
    """
    smaller = min(len(a), len(b))
    if smaller < MIN_CONTAINMENT_SHINGLES:
        return 0.0
    return overlap(a, b) / smaller


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The similarity a near-duplicate must reach: the larger of Jaccard and containment.

    Containment keeps a copy that dropped or added paragraphs *and* changed some
    words above the threshold, where Jaccard alone would fall just below it.
    """
    common = overlap(a, b)
    union = len(a) + len(b) - common
    if not union:
        return 0.0
    smaller = min(len(a), len(b))
    contained = common / smaller if smaller >= MIN_CONTAINMENT_SHINGLES else 0.0
    return max(common / union, contained)


# -- MinHash and LSH --------------------------------------------------------------------


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for ``SEED`` (a·h + b mod 2^32, a odd)."""
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
    return np.ascontiguousarray(a).reshape(-1, 1), np.ascontiguousarray(b).reshape(-1, 1)


def signature(shingles: np.ndarray) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint32 values) of a shingle set.

    The same values as datasketch's ``MinHash(num_perm=NUM_PERM, seed=SEED,
    scheme="affine32", hashfunc=int)`` updated with the shingles' top 32 bits
    (tested), computed in one numpy step instead of a Python call per shingle.
    """
    if not shingles.size:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    a, b = _permutations()
    mixed = _fmix32((shingles >> np.uint64(32)).astype(np.uint32)).reshape(1, -1)
    permuted = a * mixed  # one row per permutation: wraps mod 2^32
    permuted += b
    return permuted.min(axis=1)


def signature_bytes(sig: np.ndarray) -> bytes:
    """A signature as it is stored (little-endian uint32)."""
    return sig.astype("<u4").tobytes()


def signature_from_bytes(blob: bytes) -> np.ndarray:
    """The inverse of :func:`signature_bytes`."""
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def estimate(sig: np.ndarray, blob: bytes) -> float:
    """Estimated Jaccard similarity of a signature and a stored one."""
    return float(np.count_nonzero(sig == signature_from_bytes(blob))) / len(sig)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[int]:
    """One bucket key per band (47-bit, so SQLite stores it in 6 bytes).

    Texts sharing a key in the same band become candidates; the band's salt
    keeps equal values in different bands from sharing keys.
    """
    view = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
    combined = _BAND_SALT[:bands].copy()
    for column in range(rows):
        combined = (combined ^ view[:, column]) * _MIX
    return (_fmix64(combined) >> np.uint64(17)).astype(np.int64).tolist()


@lru_cache(maxsize=32)
def lsh_banding(
    threshold: float, num_perm: int = NUM_PERM, fn_weight: float = 0.5
) -> tuple[int, int]:
    """(bands, rows) minimising the weighted area of false positives and negatives.

    A pair of Jaccard similarity s shares a band with probability
    1 - (1 - s^rows)^bands; the area under that curve below ``threshold`` counts
    false positives, the area above it missed pairs (as in datasketch's
    ``MinHashLSH``, computed here without its private helper). At least
    ``MIN_ROWS`` rows per band: with fewer, unrelated articles of a large window
    share bands by chance (J = 0.02 collides in 1% of pairs at 2 rows × 25 bands),
    and each costs a lookup.
    """
    grid = np.linspace(0.0, 1.0, 401)
    below, above = grid <= threshold, grid >= threshold
    best, best_error = (num_perm // MIN_ROWS, MIN_ROWS), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(MIN_ROWS, num_perm // bands + 1):
            chance = 1 - (1 - grid**rows) ** bands
            false_pos = np.trapezoid(chance[below], grid[below])
            false_neg = np.trapezoid(1 - chance[above], grid[above])
            error = (1 - fn_weight) * false_pos + fn_weight * false_neg
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


# -- titles -----------------------------------------------------------------------------

_TAGS = (
    r"update(?:\s*\d+)?|wrapup(?:\s*\d+)?|rpt|refile|corrected|exclusive|breaking(?:views)?"
    r"|instant view|factbox|analysis|urgent|lead|\d+(?:st|nd|rd|th)\s+ld|ld"
)
_PREFIX = re.compile(
    rf"^\s*(?:[(\[【〈<][^)\]】〉>]{{1,30}}[)\]】〉>]|(?:{_TAGS})\s*[-:–—])\s*", re.IGNORECASE
)
_SUFFIX = re.compile(r"\s+[-|–—·»]\s+\S[^|–—»]{0,40}$|\s*\|\s*[^|]{1,40}$")
_TRAILING_TAG = re.compile(r"\s*[(\[][^)\]]{1,20}[)\]]\s*$")


def normalise_title(title: str | None) -> str:
    """A headline without outlet names and wire tags, NFKC, case-folded, bare words.

    ``(LEAD) Seoul, Beijing agree on hotline - Yonhap`` and
    ``UPDATE 2-Seoul, Beijing agree on hotline | The Korea Herald`` both give
    ``seoul beijing agree on hotline``.
    """
    text = unicodedata.normalize("NFKC", title or "").strip()
    text = _strip_repeatedly(_PREFIX, text)
    for _ in range(2):
        stripped = _TRAILING_TAG.sub("", _SUFFIX.sub("", text))
        if len(words(stripped)) < MIN_TITLE_WORDS:
            break
        text = stripped
    return " ".join(words(text))


def _strip_repeatedly(pattern: re.Pattern[str], text: str) -> str:
    for _ in range(4):
        stripped = pattern.sub("", text, count=1)
        if stripped == text or not stripped:
            break
        text = stripped
    return text


def title_key(title: str | None) -> str | None:
    """:func:`normalise_title`, or None when too short to tell stories apart ("Weather")."""
    key = normalise_title(title)
    if len(key.split()) >= MIN_TITLE_WORDS or len(_CJK.findall(key)) >= MIN_TITLE_CJK:
        return key
    return None
