"""Config loading: every mistake gets FILE:LINE and a hint; shipped config loads."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from monitor import config
from monitor.config import (
    AlertSettings,
    CrawlSettings,
    DedupeSettings,
    Settings,
    load_config,
    load_settings,
    load_site,
    load_sites,
    load_watchlist,
    load_watchlists,
    resolve_home,
    validate_cron,
)
from monitor.errors import ConfigError

DATA = Path(__file__).resolve().parent.parent / "data"
SITE = 'name = "x"\nfeeds = ["https://example.com/rss"]\narticle_urls = [\'/article/\\d+\']\n'


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so error messages show short relative paths."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRESSMON_HOME", raising=False)


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- each mistake, with its exact message ---------------------------------------------------

SITE_ERRORS = {
    "unknown key with suggestion": (
        'name = "x"\nstart_url = ["https://example.com/"]\n',
        "sites/x.toml:2: unknown key 'start_url' (did you mean 'start_urls'?)",
    ),
    "unknown key without suggestion lists the valid keys": (
        SITE + "colour = 1\n",
        "sites/x.toml:4: unknown key 'colour' (valid keys: name, start_urls, feeds, sitemaps, "
        "article_urls, listing_urls, domains, language, boilerplate, charset, timezone, enabled, "
        "fold_hosts, schedule, delay, concurrency, max_pages, depth, timeout_minutes, "
        "download_timeout)",
    ),
    "crawl table in a site file": (
        SITE + "[crawl]\ndelay = 0\n",
        "sites/x.toml:4: unknown key 'crawl' (crawl overrides go at the top level of a site "
        "file, e.g. delay = 0)",
    ),
    "wrong type": (
        SITE + 'delay = "fast"\n',
        "sites/x.toml:4: 'delay' must be a number >= 0, got \"fast\"",
    ),
    "negative number": (
        SITE + "delay = -1\n",
        "sites/x.toml:4: 'delay' must be a number >= 0, got -1",
    ),
    "infinite number": (
        SITE + "delay = inf\n",
        "sites/x.toml:4: 'delay' must be a number >= 0, got inf",
    ),
    "bool is not an int": (
        SITE + "concurrency = true\n",
        "sites/x.toml:4: 'concurrency' must be an integer >= 1, got true",
    ),
    "float is not an int": (
        SITE + "max_pages = 2.5\n",
        "sites/x.toml:4: 'max_pages' must be an integer >= 1, got 2.5",
    ),
    "bool must be a bool": (
        SITE + 'enabled = "no"\n',
        "sites/x.toml:4: 'enabled' must be true or false, got \"no\"",
    ),
    "string instead of list": (
        'name = "x"\nfeeds = "https://example.com/rss"\n',
        "sites/x.toml:2: 'feeds' must be a list of strings, got \"https://example.com/rss\" "
        '(write ["https://example.com/rss"])',
    ),
    "list of non-strings": (
        SITE + "boilerplate = [1, 2]\n",
        "sites/x.toml:4: 'boilerplate' must be a list of non-empty strings, got [1, 2]",
    ),
    "bad regex, on its own line": (
        'name = "x"\nfeeds = ["https://example.com/rss"]\narticle_urls = [\n    \'/ok\',\n'
        "    '/view\\.php(',\n]\n",
        "sites/x.toml:5: bad regex in article_urls: '/view\\.php(' "
        "(missing ), unterminated subpattern at position 10)",
    ),
    "bad regex in listing_urls": (
        SITE + "listing_urls = ['[a-']\n",
        "sites/x.toml:4: bad regex in listing_urls: '[a-' "
        "(unterminated character set at position 0)",
    ),
    "bad cron": (
        SITE + 'schedule = "61 * * * *"\n',
        "sites/x.toml:4: 'schedule' is not a valid cron expression: Error validating expression "
        "'61': the last value (61) is higher than the maximum value (59)",
    ),
    "cron with too few fields": (
        SITE + 'schedule = "*/5 * * *"\n',
        "sites/x.toml:4: 'schedule' is not a valid cron expression: expected 5 fields "
        "(minute hour day month weekday), or 6 with a leading seconds field "
        "(second minute hour day month weekday), got 4",
    ),
    "cron with a numbered weekday": (
        SITE + 'schedule = "0 7 * * 1-5"\n',
        "sites/x.toml:4: 'schedule' is not a valid cron expression: write the day of week as "
        "names (mon-fri, sun), not numbers: APScheduler 3 counts 0 as Monday, cron counts 0 "
        "as Sunday",
    ),
    "site without sources": (
        "name = \"x\"\narticle_urls = ['/a/']\n",
        "sites/x.toml: a site needs at least one of start_urls, feeds or sitemaps (where to look)",
    ),
    "site with empty sources": (
        "name = \"x\"\nstart_urls = []\nfeeds = []\narticle_urls = ['/a/']\n",
        "sites/x.toml:2: a site needs at least one of start_urls, feeds or sitemaps "
        "(where to look)",
    ),
    "site without article_urls": (
        'name = "x"\nfeeds = ["https://example.com/rss"]\n',
        "sites/x.toml: a site needs at least one article_urls regex (which links are articles)",
    ),
    "site with empty article_urls": (
        'name = "x"\nfeeds = ["https://example.com/rss"]\narticle_urls = []\n',
        "sites/x.toml:3: a site needs at least one article_urls regex (which links are articles)",
    ),
    "non-http URL": (
        'name = "x"\nfeeds = [\n  "https://example.com/rss",\n  "ftp://example.com/rss",\n]\n',
        "sites/x.toml:4: 'feeds' must be a list of http(s) URLs with a host, "
        'got "ftp://example.com/rss"',
    ),
    "URL without host": (
        'name = "x"\nstart_urls = ["https:///news"]\n',
        "sites/x.toml:2: 'start_urls' must be a list of http(s) URLs with a host, "
        'got "https:///news"',
    ),
    "URL with a bad port": (
        'name = "x"\nstart_urls = ["https://example.com:port/"]\n',
        "sites/x.toml:2: 'start_urls' must be a list of http(s) URLs with a host, "
        'got "https://example.com:port/"',
    ),
    "domain with a path": (
        SITE + 'domains = ["example.com/news"]\n',
        "sites/x.toml:4: 'domains' must be a list of host names such as \"example.com\", "
        'got "example.com/news"',
    ),
    "bad charset": (
        SITE + 'charset = "euc-kor"\n',
        "sites/x.toml:4: unknown charset 'euc-kor' (expected a Python codec name such as "
        '"euc-kr", "cp949", "gb18030" or "utf-8")',
    ),
    "bad language": (
        SITE + 'language = "English"\n',
        'sites/x.toml:4: \'language\' must be a language code such as "en", "ko" or '
        '"zh-Hans", got "English"',
    ),
    "name is no slug": (
        'name = "The Korea Herald"\n',
        "sites/x.toml:1: 'name' must be a slug (lower-case letters, digits, '-' and '_'), "
        'e.g. "koreaherald", got "The Korea Herald"',
    ),
    "TOML syntax error with line": (
        'name = "x"\nfeeds = ["https://example.com/rss"\narticle_urls = []\n',
        "sites/x.toml:3: invalid TOML: Unclosed array at column 1",
    ),
    "regex in double quotes": (
        'name = "x"\nfeeds = ["https://example.com/rss"]\narticle_urls = ["/a/\\d+"]\n',
        "sites/x.toml:3: invalid TOML: Unescaped '\\' in a string at column 23 "
        "(write regexes in single quotes, e.g. '\\d+', where a backslash is literal)",
    ),
    "key set twice": (
        'name = "x"\nname = "y"\n',
        "sites/x.toml:2: invalid TOML: Cannot overwrite a value at column 11 "
        "(a key or table is set twice)",
    ),
    "template site without base_url": (
        'name = "x"\nfeeds = ["{base_url}/rss.xml"]\narticle_urls = [\'{base_url}/a/\']\n',
        "sites/x.toml:2: 'feeds' uses the {base_url} placeholder: this is a template site, "
        "loaded only with a base URL (as `pressmon demo` does)",
    ),
}


@pytest.mark.parametrize(("text", "message"), SITE_ERRORS.values(), ids=SITE_ERRORS.keys())
def test_site_error(text: str, message: str) -> None:
    path = write("sites/x.toml", text)
    assert error_of(load_site, path, CrawlSettings()) == message


SETTINGS_ERRORS = {
    "unknown timezone": (
        'database = "m.db"\ntimezone = "Asia/Seul"\n',
        "settings.toml:2: unknown timezone 'Asia/Seul' (did you mean 'Asia/Seoul'?)",
    ),
    "timezone with no close match": (
        'timezone = "Nowhere at all"\n',
        "settings.toml:1: unknown timezone 'Nowhere at all' (an IANA name such as \"Asia/Seoul\")",
    ),
    "digest_time not HH:MM": (
        'digest_time = "7am"\n',
        "settings.toml:1: 'digest_time' must be HH:MM (24-hour, in quotes, e.g. \"07:00\"), "
        'got "7am"',
    ),
    "digest_time out of range": (
        'digest_time = "24:00"\n',
        "settings.toml:1: 'digest_time' must be HH:MM (24-hour, in quotes, e.g. \"07:00\"), "
        'got "24:00"',
    ),
    "digest_time as a TOML time": (
        "digest_time = 07:00:00\n",
        "settings.toml:1: 'digest_time' must be HH:MM (24-hour, in quotes, e.g. \"07:00\"), "
        "got 07:00:00",
    ),
    "wrong type in a table": (
        '[crawl]\nschedule = "*/5 * * * *"\ndelay = "fast"\n',
        "settings.toml:3: 'delay' must be a number >= 0, got \"fast\"",
    ),
    "unknown key in a table": (
        "[crawl]\ndealy = 2\n",
        "settings.toml:2: unknown key 'dealy' (did you mean 'delay'?)",
    ),
    "crawl key at the top level": (
        "delay = 2\n",
        "settings.toml:1: unknown key 'delay' (did you mean 'delay' under [crawl]?)",
    ),
    "unknown table": (
        "[crawling]\ndelay = 2\n",
        "settings.toml:1: unknown key 'crawling' (did you mean 'crawl'?)",
    ),
    "table given as a value": (
        "crawl = 5\n",
        "settings.toml:1: 'crawl' must be a table ([crawl]), got 5",
    ),
    "bad cron in settings": (
        '[crawl]\nschedule = "every hour"\n',
        "settings.toml:2: 'schedule' is not a valid cron expression: expected 5 fields "
        "(minute hour day month weekday), or 6 with a leading seconds field "
        "(second minute hour day month weekday), got 2",
    ),
    "threshold out of range": (
        "[dedupe]\nthreshold = 1.5\n",
        "settings.toml:2: 'threshold' must be a number > 0 and <= 1, got 1.5",
    ),
    "bool as int in alerts": (
        "[alerts]\ngive_up_hours = false\n",
        "settings.toml:2: 'give_up_hours' must be an integer >= 1, got false",
    ),
    "dotted key": (
        "crawl.depth = -1\n",
        "settings.toml:1: 'depth' must be an integer >= 0, got -1",
    ),
    "tracking_params not strings": (
        'tracking_params = ["fbclid", 3]\n',
        "settings.toml:1: 'tracking_params' must be a list of non-empty strings, "
        'got ["fbclid", 3]',
    ),
    "empty database": (
        'database = ""\n',
        "settings.toml:1: 'database' must be a non-empty string, got \"\"",
    ),
    "TOML syntax error": (
        'timezone = "UTC"\ndigest_time = \n',
        "settings.toml:2: invalid TOML: Invalid value at column 15",
    ),
}


@pytest.mark.parametrize(("text", "message"), SETTINGS_ERRORS.values(), ids=SETTINGS_ERRORS.keys())
def test_settings_error(text: str, message: str) -> None:
    assert error_of(load_settings, write("settings.toml", text)) == message


WATCHLIST_ERRORS = {
    "no terms and no query": (
        'description = "x"\n',
        'watchlists/w.toml: a watchlist needs terms or a query, e.g. terms = ["THAAD"]',
    ),
    "empty terms": (
        "terms = []\n",
        'watchlists/w.toml:1: a watchlist needs terms or a query, e.g. terms = ["THAAD"]',
    ),
    "unknown key": (
        'term = ["THAAD"]\n',
        "watchlists/w.toml:1: unknown key 'term' (did you mean 'terms'?)",
    ),
    "name key": (
        'name = "w"\nterms = ["THAAD"]\n',
        "watchlists/w.toml:1: unknown key 'name' (a watchlist is named after its file: "
        "hotline.toml is 'hotline')",
    ),
    "empty term": (
        'terms = ["THAAD", ""]\n',
        'watchlists/w.toml:1: \'terms\' must be a list of non-empty strings, got ["THAAD", ""]',
    ),
    "query not a string": (
        "query = 5\n",
        "watchlists/w.toml:1: 'query' must be a non-empty string, got 5",
    ),
    "bad site name": (
        'terms = ["x"]\nsites = ["Korea Herald"]\n',
        "watchlists/w.toml:2: 'sites' must be a list of site names (slugs such as "
        '"koreaherald"), got "Korea Herald"',
    ),
    "bad language": (
        'terms = ["x"]\nlanguages = ["en", "korean"]\n',
        "watchlists/w.toml:2: 'languages' must be a list of language codes such as \"en\", "
        'got "korean"',
    ),
}


@pytest.mark.parametrize(
    ("text", "message"), WATCHLIST_ERRORS.values(), ids=WATCHLIST_ERRORS.keys()
)
def test_watchlist_error(text: str, message: str) -> None:
    assert error_of(load_watchlist, write("watchlists/w.toml", text)) == message


def test_watchlist_file_name_must_be_a_slug() -> None:
    path = write("watchlists/Missile Defense.toml", 'terms = ["THAAD"]\n')
    assert error_of(load_watchlist, path) == (
        "watchlists/Missile Defense.toml: the file name is the watchlist's name: make it a slug "
        "(lower-case letters, digits, '-' and '_'), e.g. \"koreaherald\""
    )


def test_site_file_name_must_be_a_slug_when_name_is_missing() -> None:
    path = write("sites/Korea Herald.toml", SITE.replace('name = "x"\n', ""))
    assert error_of(load_site, path, CrawlSettings()) == (
        "sites/Korea Herald.toml: the file name is no slug: add name = a slug (lower-case "
        "letters, digits, '-' and '_'), e.g. \"koreaherald\""
    )


def test_site_name_defaults_to_the_file_name() -> None:
    path = write("sites/my-site.toml", SITE.replace('name = "x"\n', ""))
    assert load_site(path, CrawlSettings()).name == "my-site"


def test_duplicate_site_names_name_both_files() -> None:
    write("sites/a.toml", SITE)
    write("sites/b.toml", "# the same outlet again\n" + SITE)
    assert error_of(load_sites, Path("sites"), CrawlSettings()) == (
        "sites/b.toml:2: site name 'x' is already used by sites/a.toml"
    )


def test_watchlist_naming_an_unknown_site() -> None:
    write("home/sites/koreaherald.toml", SITE.replace('"x"', '"koreaherald"'))
    write(
        "home/watchlists/w.toml", 'terms = ["x"]\nsites = [\n  "koreaherald",\n  "koreahrald",\n]\n'
    )
    assert error_of(load_config, "home") == (
        "home/watchlists/w.toml:4: unknown site 'koreahrald' in sites (did you mean 'koreaherald'?)"
    )


def test_not_utf8() -> None:
    path = Path("settings.toml")
    path.write_bytes(b'database = "m.db"\ntimezone = "\xff"\n')
    assert error_of(load_settings, path) == (
        "settings.toml:2: not UTF-8 text (save TOML files as UTF-8)"
    )


def test_unreadable_file() -> None:
    Path("settings.toml").mkdir()
    message = error_of(load_settings, Path("settings.toml"))
    assert message.startswith("settings.toml: cannot read the file: ")


def test_key_without_a_line_falls_back_to_the_key() -> None:
    # An inline table hides the key from the line scan: the message names the key instead.
    path = write("settings.toml", 'alerts = { backoff_seconds = "soon" }\n')
    assert error_of(load_settings, path) == (
        "settings.toml: alerts.backoff_seconds: 'backoff_seconds' must be an integer >= 1, "
        'got "soon"'
    )


# --- the config directory ----------------------------------------------------------------


def test_missing_home_directory() -> None:
    assert error_of(resolve_home, "nowhere") == (
        "nowhere: config directory not found (given by --home); "
        "pass --home DIR or set $PRESSMON_HOME"
    )


def test_missing_home_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSMON_HOME", "elsewhere")
    assert error_of(load_config, None) == (
        "elsewhere: config directory not found (from $PRESSMON_HOME); "
        "pass --home DIR or set $PRESSMON_HOME"
    )


def test_missing_default_home() -> None:
    assert error_of(resolve_home, None) == (
        "data: config directory not found (the default); pass --home DIR or set $PRESSMON_HOME"
    )


def test_home_is_a_file() -> None:
    write("home", "")
    assert error_of(resolve_home, "home") == (
        "home: config directory is not a directory (given by --home); "
        "pass --home DIR or set $PRESSMON_HOME"
    )


def test_home_order(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("data", "env", "flag"):
        Path(name).mkdir()
    assert resolve_home(None) == Path("data")
    monkeypatch.setenv("PRESSMON_HOME", "env")
    assert resolve_home(None) == Path("env")
    assert resolve_home("flag") == Path("flag")


def test_empty_home_loads_defaults() -> None:
    Path("home").mkdir()
    loaded = load_config("home")
    assert loaded.settings == Settings()
    assert loaded.sites == {}
    assert loaded.watchlists == {}
    assert loaded.db_path == (Path("home") / "monitor.db").resolve()


def test_load_config_reads_everything() -> None:
    write("home/settings.toml", "[crawl]\ndelay = 2\n")
    write("home/sites/b.toml", SITE.replace('"x"', '"b"'))
    write("home/sites/a.toml", SITE.replace('"x"', '"a"'))
    write("home/sites/notes.txt", "not a site")
    write("home/watchlists/w.toml", 'terms = ["x"]\nsites = ["a"]\nlanguages = ["en"]\n')
    loaded = load_config(Path("home"))
    assert list(loaded.sites) == ["a", "b"]
    assert loaded.sites["a"].crawl.delay == 2.0
    assert loaded.watchlists["w"].sites == ("a",)
    assert loaded.watchlists["w"].languages == ("en",)


def test_sites_dir_replaces_home_sites() -> None:
    write("home/sites/a.toml", SITE.replace('"x"', '"a"'))
    write("sample/sites/demo.toml", "feeds = ['{base_url}/rss']\narticle_urls = ['/a/']\n")
    write("home/watchlists/w.toml", 'terms = ["x"]\nsites = ["a"]\n')
    loaded = load_config("home", base_url="http://127.0.0.1:9/", sites_dir=Path("sample/sites"))
    assert list(loaded.sites) == ["demo"]
    assert loaded.sites["demo"].feeds == ("http://127.0.0.1:9/rss",)


def test_missing_directories_are_empty() -> None:
    assert load_sites(Path("no-sites"), CrawlSettings()) == {}
    assert load_watchlists(Path("no-watchlists")) == {}


# --- values --------------------------------------------------------------------------------


def test_empty_settings_are_the_defaults() -> None:
    settings = load_settings(write("settings.toml", ""))
    assert settings == Settings(path=Path("settings.toml"))
    assert settings.timezone == "UTC"
    assert settings.crawl == CrawlSettings()


def test_missing_settings_are_the_defaults() -> None:
    assert load_settings(Path("settings.toml")) == Settings()


def test_settings_values() -> None:
    text = (
        'timezone = "Asia/Seoul"\ndigest_time = "06:30"\ntracking_params = ["fbclid"]\n'
        'extract_timeout = 10\n[crawl]\ndelay = 0\nschedule = "0 7 * * mon-fri"\n'
        "[dedupe]\nthreshold = 0.8\n[alerts]\nbackoff_seconds = 5\n"
    )
    settings = load_settings(write("settings.toml", text))
    assert settings.timezone == "Asia/Seoul"
    assert settings.digest_time == "06:30"
    assert settings.tracking_params == ("fbclid",)
    assert settings.extract_timeout == 10.0
    assert isinstance(settings.extract_timeout, float)
    assert settings.crawl == CrawlSettings(delay=0.0, schedule="0 7 * * mon-fri")
    assert settings.dedupe == DedupeSettings(threshold=0.8)
    assert settings.alerts == AlertSettings(backoff_seconds=5)


def test_site_overrides_merge_with_settings() -> None:
    settings = load_settings(write("settings.toml", "[crawl]\ndelay = 2.5\nconcurrency = 8\n"))
    site = load_site(
        write("sites/x.toml", SITE + 'delay = 0\nschedule = "0 * * * *"\n'), settings.crawl
    )
    assert site.crawl == CrawlSettings(delay=0.0, concurrency=8, schedule="0 * * * *")
    assert isinstance(site.crawl.delay, float)


def test_site_values() -> None:
    text = (
        'name = "x"\nstart_urls = ["https://WWW.Example.com:8443/news"]\n'
        'feeds = ["http://feeds.example.com/rss", "https://www.example.com/rss"]\n'
        "article_urls = ['/article/\\d+']\nlisting_urls = ['/list']\n"
        'language = "ko"\ncharset = "euc-kr"\nboilerplate = ["Back to List"]\nenabled = false\n'
    )
    site = load_site(write("sites/x.toml", text), CrawlSettings())
    assert site.domains == ("www.example.com", "feeds.example.com")
    assert site.is_article_url("https://www.example.com/article/12")
    assert site.is_listing_url("https://www.example.com/list?p=2")
    assert (site.language, site.charset, site.enabled) == ("ko", "euc-kr", False)
    assert site.boilerplate == ("Back to List",)
    assert site.crawl == CrawlSettings()


def test_explicit_domains_are_hosts() -> None:
    text = SITE + 'domains = ["Example.COM", "https://m.example.com:8080", "news.example.com:81"]\n'
    site = load_site(write("sites/x.toml", text), CrawlSettings())
    assert site.domains == ("example.com", "m.example.com", "news.example.com")


def test_base_url_is_substituted() -> None:
    text = (
        'name = "x"\nstart_urls = ["{base_url}/"]\nfeeds = ["{base_url}/rss.xml"]\n'
        "article_urls = ['^{base_url}/news/\\d+$']\n"
    )
    site = load_site(
        write("sites/x.toml", text), CrawlSettings(), base_url="http://127.0.0.1:8123/"
    )
    assert site.start_urls == ("http://127.0.0.1:8123/",)
    assert site.feeds == ("http://127.0.0.1:8123/rss.xml",)
    assert site.domains == ("127.0.0.1",)
    assert site.is_article_url("http://127.0.0.1:8123/news/7")
    assert not site.is_article_url("http://127x0x0x1:8123/news/7")  # dots are escaped


def test_base_url_error_points_at_the_template_line() -> None:
    text = (
        "name = \"x\"\nfeeds = [\n  '{base_url}/rss',\n  'gopher://x',\n]\narticle_urls = ['/a']\n"
    )
    path = write("sites/x.toml", text)
    assert error_of(load_site, path, CrawlSettings(), base_url="http://127.0.0.1:1") == (
        "sites/x.toml:4: 'feeds' must be a list of http(s) URLs with a host, got \"gopher://x\""
    )


def test_watchlist_values() -> None:
    text = 'description = "d"\nquery = \'"missile defense" NEAR/5 Korea\'\nexclude = ["festival"]\n'
    watchlist = load_watchlist(write("watchlists/md.toml", text))
    assert watchlist.name == "md"
    assert watchlist.query == '"missile defense" NEAR/5 Korea'
    assert (watchlist.terms, watchlist.exclude, watchlist.sites) == ((), ("festival",), ())


def test_only_toml_files_are_read_and_sorted() -> None:
    write("watchlists/b.toml", 'terms = ["b"]\n')
    write("watchlists/a.toml", 'terms = ["a"]\n')
    write("watchlists/a.toml.bak", "garbage")
    write("watchlists/.c.toml", "garbage")
    assert list(load_watchlists(Path("watchlists"))) == ["a", "b"]


@pytest.mark.parametrize(
    "expr",
    [
        "*/30 * * * *",
        "0 7 * * *",
        "15 6,18 1-15 * mon-fri",
        "0 0 * jan,jul sun",
        "*/2 * * * * *",  # 6 fields: a leading seconds field
    ],
)
def test_valid_cron(expr: str) -> None:
    validate_cron(expr)


@pytest.mark.parametrize(
    "expr", ["", "@daily", "* * * * * * *", "0 25 * * *", "0 0 * * 0", "61 * * * * *"]
)
def test_invalid_cron(expr: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_cron(expr)
    assert str(caught.value)


def test_schema_matches_the_dataclasses() -> None:
    """Every settings field has a check, and every check a field (no drift)."""
    tables = {"crawl": CrawlSettings, "dedupe": DedupeSettings, "alerts": AlertSettings}
    for name, (cls, checks) in config._SETTINGS_TABLES.items():
        assert tables[name] is cls
        assert set(checks) == {f.name for f in dataclasses.fields(cls)}
    top = {f.name for f in dataclasses.fields(Settings)} - set(tables) - {"path"}
    assert set(config._SETTINGS_CHECKS) == top


# --- the shipped config (fundus-style registry test) ---------------------------------------

SHIPPED_SITES = sorted((DATA / "sites").glob("*.toml"))
SHIPPED_WATCHLISTS = sorted((DATA / "watchlists").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED_SITES, ids=lambda path: path.stem)
def test_shipped_site_loads(path: Path) -> None:
    site = load_site(path, CrawlSettings())
    assert site.name == path.stem
    assert site.domains
    assert path.read_text(encoding="utf-8").startswith("# "), "first line: the outlet's name"
    for url in (*site.start_urls, *site.feeds, *site.sitemaps):
        assert not site.is_article_url(url), f"{url} looks like an article to its own regexes"


@pytest.mark.parametrize("path", SHIPPED_WATCHLISTS, ids=lambda path: path.stem)
def test_shipped_watchlist_loads(path: Path) -> None:
    watchlist = load_watchlist(path)
    assert watchlist.description
    assert watchlist.terms or watchlist.query


def test_shipped_outlets() -> None:
    sites = load_sites(DATA / "sites", CrawlSettings())
    required = {"koreaherald", "yonhap_en", "koreatimes", "nknews", "globaltimes", "xinhua_en"}
    assert required | {"scmp", "japantimes"} <= set(sites)
    assert {name for name, site in sites.items() if not site.enabled} == {
        "reuters",
        "apnews",
        "joongang",
    }
    assert sites["koreaherald"].boilerplate == (
        "MOST POPULAR",
        "Back to List",
        "More articles by this writer",
    )
    assert sites["koreaherald"].is_article_url("https://www.koreaherald.com/article/10012345")
    assert sites["koreaherald"].is_article_url(
        "http://www.koreaherald.com/view.php?ud=20150204001067"
    )


def test_shipped_watchlists() -> None:
    watchlists = load_watchlists(DATA / "watchlists")
    assert {"THAAD", "KAMD", "사드", "萨德"} <= set(watchlists["missile-defense"].terms)
    assert {"hotline*", "핫라인", "热线", "直通电话"} <= set(watchlists["hotline"].terms)


def test_shipped_settings_show_every_key_with_its_default() -> None:
    settings = load_settings(DATA / "settings.toml")
    expected = Settings(timezone="Asia/Seoul", path=DATA / "settings.toml")
    assert settings == expected
    shown = tomllib.loads((DATA / "settings.toml").read_text(encoding="utf-8"))
    tables = {"crawl", "dedupe", "alerts"}
    assert set(shown) == {f.name for f in dataclasses.fields(Settings)} - {"path"}
    for name in tables:
        assert set(shown[name]) == set(config._SETTINGS_TABLES[name][1])


def test_shipped_config_loads_as_a_whole() -> None:
    loaded = load_config(DATA)
    assert loaded.settings.digest_time == "07:00"
    assert list(loaded.sites) == sorted(loaded.sites)
    assert set(loaded.watchlists) == {path.stem for path in SHIPPED_WATCHLISTS}
