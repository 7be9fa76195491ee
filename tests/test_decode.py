"""monitor.extract.decode_body: bytes → text the way a browser would (ENC-1 … ENC-6)."""

from __future__ import annotations

import codecs

import pytest

from monitor.extract import Decoded, decode_body

KOREAN = (
    "국방부는 중국과 국방 핫라인을 올해 안에 설치하기로 합의했다고 밝혔다. "
    "사드 배치 문제도 논의했다."
)
CHINESE = "双方同意今年尽早开通两国国防部之间的热线，以加强战略沟通与双边合作。朱镕基曾访问首尔。"
JAPANESE = (
    "防衛省は本日、ミサイル防衛システムの配備について記者会見を開き、ホットラインについて説明した。"
)
FRENCH = (
    "Le ministre de la Défense a déclaré que la sécurité régionale était préoccupante à Genève."
)
PREFIX = "<!-- navigation -->" + "<a href='/section'>Section</a>\n" * 110  # > 3 KB of ASCII


def html(text: str, head: str = "", prefix: str = "") -> str:
    return f"<html><head>{prefix}{head}<title>t</title></head><body><p>{text}</p></body></html>"


def test_euc_kr_declared_in_header_decodes_as_cp949() -> None:
    result = decode_body(html(KOREAN).encode("cp949"), "text/html; charset=EUC-KR")
    assert result == Decoded(html(KOREAN), "cp949", False, "header")


def test_euc_kr_declared_in_meta_after_a_long_prefix() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'
    body = html(KOREAN, head, PREFIX).encode("cp949")
    assert len(PREFIX) > 3000
    result = decode_body(body, "text/html")
    assert (result.encoding, result.source, result.suspect) == ("cp949", "meta", False)
    assert KOREAN in result.text


def test_meta_with_broken_attribute_names_is_still_read() -> None:
    head = '<meta httpequiv="ContentType" content="text/html; charset=euc-kr">'
    result = decode_body(html(KOREAN, head).encode("cp949"))
    assert (result.encoding, result.source) == ("cp949", "meta") and KOREAN in result.text


def test_cp949_only_syllable_under_euc_kr_label() -> None:
    text = "똠방각하 " + KOREAN
    with pytest.raises(UnicodeDecodeError):
        text.encode("cp949").decode("euc_kr")  # Python's strict codec lacks it (ENC-2)
    result = decode_body(html(text).encode("cp949"), "text/html; charset=euc-kr")
    assert "똠방각하" in result.text and not result.suspect


def test_gbk_characters_under_gb2312_label() -> None:
    with pytest.raises(UnicodeEncodeError):
        CHINESE.encode("gb2312")  # 镕 is GBK, not GB2312 (ENC-3)
    result = decode_body(html(CHINESE).encode("gbk"), "text/html; charset=gb2312")
    assert result.encoding == "gb18030" and CHINESE in result.text and not result.suspect


@pytest.mark.parametrize(
    ("text", "codec", "expected", "language"),
    [
        (KOREAN, "euc-kr", "cp949", None),
        (CHINESE.replace("镕", "荣"), "gb2312", "gb18030", None),
        (JAPANESE, "shift_jis", "cp932", None),
        (FRENCH, "iso-8859-1", "cp1252", None),
        (KOREAN, "euc-kr", "cp949", "ko"),
        (CHINESE.replace("镕", "荣"), "gb2312", "gb18030", "zh-CN"),
    ],
)
def test_undeclared_charset_is_detected_past_an_ascii_prefix(
    text: str, codec: str, expected: str, language: str | None
) -> None:
    body = html(text, prefix=PREFIX).encode(codec)
    result = decode_body(body, "text/html", language=language)
    assert text in result.text
    assert (result.encoding, result.source, result.suspect) == (expected, "detected", False)


def test_undeclared_latin_text_with_site_language() -> None:
    german = "Der Verteidigungsminister äußerte sich über die Größe der Übung."
    result = decode_body(html(german, prefix=PREFIX).encode("latin-1"), language="de")
    assert german in result.text and result.encoding == "cp1252"


def test_header_lies_meta_tells_the_truth() -> None:
    head = '<meta charset="gbk">'
    result = decode_body(html(CHINESE * 3, head).encode("gbk"), "text/html; charset=utf-8")
    assert CHINESE in result.text
    assert (result.encoding, result.source, result.suspect) == ("gb18030", "meta", True)


def test_header_lies_and_nothing_else_is_declared() -> None:
    result = decode_body(html(CHINESE * 3).encode("gbk"), "text/html; charset=utf-8")
    assert CHINESE in result.text
    assert (result.encoding, result.source, result.suspect) == ("gb18030", "detected", True)


def test_latin1_header_on_a_utf8_page() -> None:
    result = decode_body(html(KOREAN).encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert KOREAN in result.text and result.encoding == "utf-8"


def test_site_override_wins() -> None:
    body = html(KOREAN).encode("cp949")
    result = decode_body(body, "text/html; charset=utf-8", override="euc-kr", language="ko")
    assert (result.encoding, result.source, result.suspect) == ("cp949", "override", False)
    assert KOREAN in result.text


def test_wrong_override_on_a_korean_site_is_suspect() -> None:
    body = html(KOREAN * 3).encode("cp949")
    result = decode_body(body, override="latin-1", language="ko")
    assert result.encoding == "cp1252" and result.suspect


def test_control_characters_are_stripped() -> None:
    body = b"<p>a\x00b\x07c\x1bd\te\r\nf\x0cg</p>"
    assert decode_body(body, "text/html; charset=utf-8").text == "<p>abcd\te\r\nfg</p>"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")],
)
def test_bom_beats_the_header(bom: bytes, codec: str) -> None:
    body = bom + html(KOREAN).encode(codec)
    result = decode_body(body, "text/html; charset=iso-8859-1")
    assert (result.text, result.encoding, result.source) == (html(KOREAN), codec, "bom")


def test_meta_utf16_means_utf8() -> None:
    result = decode_body(html(KOREAN, '<meta charset="utf-16">').encode("utf-8"))
    assert (result.encoding, result.source) == ("utf-8", "meta")


def test_plain_ascii_and_undeclared_utf8() -> None:
    assert decode_body(b"<p>hello</p>").source == "default"
    result = decode_body(html(KOREAN).encode("utf-8"))
    assert (result.encoding, result.source, result.text) == ("utf-8", "detected", html(KOREAN))


def test_replacement_characters_left_make_the_page_suspect() -> None:
    body = html("garbage \xff\xfe\xfd" * 20).encode("latin-1")
    result = decode_body(body, "text/html; charset=utf-8")
    assert result.suspect


def test_stale_euc_kr_header_on_a_utf8_page() -> None:
    head = '<meta charset="utf-8">'
    result = decode_body(html(KOREAN, head).encode("utf-8"), "text/html; charset=euc-kr")
    assert (result.text, result.encoding, result.source) == (html(KOREAN, head), "utf-8", "meta")
