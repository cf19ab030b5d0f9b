"""RSS and Atom feeds, offline: feeds, pages and misbehaving endpoints served from 127.0.0.1,
fetched, read, indexed, and polled by the bot against the fake Telegram server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import socket
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import BotApplication, build_application
from bot.cli import main
from bot.config import BotSettings
from bot.feeds import FEED_JOB
from bot.services import Services
from bot.texts import INDONESIAN_TEXTS
from index.archive import Archive
from index.conversations import Conversations
from index.ingest import index_sources
from index.models import Failure, Notice, RawArticle, ReadItem
from index.sources import ReadOptions, read_file, read_url
from index.sources.feed import read_feed
from index.sources.fetch import USER_AGENT, FetchError, fetch, is_public_host
from index.store import writer_lock
from tests.fakebot import Chat, FakeTelegram, Message, User
from tests.polling import polling_bot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
TOKEN = "123456:TEST"
BOT = "newsbot_test_bot"
ADMIN_ID = 1001
NO_PAGES = ReadOptions(fetch_pages=False)
WITH_PAGES = ReadOptions(fetch_pages=True)
# Small enough that a test feed is under it and the oversized endpoint over it.
SMALL_CAP = ReadOptions(max_file_bytes=64 * 1024)
KAPUAS = "Berapa tarif perahu listrik penyeberangan Sungai Kapuas?"

# -- what the server serves: our own invented stories -------------------------------------------

SEAWEED_ITEM = """
<item>
  <title>Nelayan Tanjung Batu Panen Rumput Laut Lebih Awal</title>
  <link>{base}/berita/rumput-laut.html</link>
  <guid isPermaLink="false">kabar-pesisir-0001</guid>
  <pubDate>Mon, 02 Jun 2025 08:30:00 +0700</pubDate>
  <dc:creator>Sari Wulandari</dc:creator>
  <description>&lt;p&gt;Nelayan Desa Tanjung Batu memanen rumput laut dua pekan lebih awal
  karena cuaca cerah.&lt;/p&gt;&lt;p&gt;Harga jual di tingkat pengepul ikut membaik.&lt;/p&gt;
  </description>
</item>"""
FERRY_ITEM = """
<item>
  <title>Perahu Listrik Mulai Melayani Penyeberangan Sungai Kapuas</title>
  <link>{base}/berita/perahu-listrik.html</link>
  <pubDate>Tue, 03 Jun 2025 14:00:00 WIB</pubDate>
  <author>redaksi@kabarpesisir.test (Dimas Pratama)</author>
  <description>Dua perahu listrik mulai melayani warga yang menyeberangi Sungai Kapuas.
  </description>
</item>"""
NEW_ITEM = """
<item>
  <title>Sekolah Apung Dibuka untuk Anak Nelayan Teluk Kumai</title>
  <link>{base}/berita/sekolah-apung.html</link>
  <guid isPermaLink="false">kabar-pesisir-0003</guid>
  <pubDate>Wed, 04 Jun 2025 07:00:00 +0700</pubDate>
  <description>Sekolah apung di Teluk Kumai menampung 64 anak nelayan yang sebelumnya harus
  mendayung satu jam ke sekolah terdekat.</description>
</item>"""
PAGE_404_ITEM = """
<item>
  <title>Pasar Ikan Higienis Diresmikan di Sungai Liat</title>
  <link>{base}/berita/hilang.html</link>
  <guid isPermaLink="false">kabar-pesisir-0404</guid>
  <description>Pasar ikan higienis di Sungai Liat diresmikan dengan 120 lapak berpendingin.
  </description>
</item>"""
EMPTY_ITEM = """
<item>
  <title>Foto: Senja di Dermaga</title>
  <guid isPermaLink="false">kabar-pesisir-foto-7</guid>
</item>"""


def rss(base: str, *items: str) -> bytes:
    body = "".join(item.format(base=base) for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Kabar Pesisir</title><link>{base}/</link>"
        "<description>Berita pesisir dan sungai</description>"
        f"{body}</channel></rss>"
    ).encode()


# Relative links: the reader resolves them against the feed's address.
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Suara Lembah</title>
  <id>tag:suaralembah.test,2025:feed</id>
  <updated>2025-06-04T09:15:00+08:00</updated>
  <entry>
    <id>tag:suaralembah.test,2025:pasar-kopi</id>
    <title>Lelang Kopi Manggarai Ramai Pembeli dari Luar Daerah</title>
    <link rel="alternate" type="text/html" href="/berita/pasar-kopi.html"/>
    <published>2025-06-04T09:15:00+08:00</published>
    <updated>2025-06-04T10:00:00+08:00</updated>
    <author><name>Yohanes Bere</name></author>
    <summary>Lelang kopi di Ruteng ramai.</summary>
    <content type="html">&lt;p&gt;Lelang kopi di Ruteng didatangi pembeli dari Surabaya dan
      Makassar.&lt;/p&gt;&lt;p&gt;Petani berharap lelang digelar setiap bulan.&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>tag:suaralembah.test,2025:jembatan</id>
    <title>Jembatan Gantung Wae Laku Selesai Dibangun</title>
    <updated>2025-06-05T08:00:00+08:00</updated>
    <summary>Jembatan gantung sepanjang 85 meter di Wae Laku kini menghubungkan dua desa.</summary>
  </entry>
</feed>
"""


def page(title: str, *paragraphs: str) -> bytes:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body>"
        "<nav><a href='/'>Beranda</a> <a href='/daerah'>Daerah</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Hak cipta dilindungi undang-undang.</footer></body></html>"
    ).encode()


SEAWEED_PAGE = page(
    "Nelayan Tanjung Batu Panen Rumput Laut Lebih Awal",
    "Nelayan Desa Tanjung Batu memanen rumput laut dua pekan lebih awal karena cuaca cerah"
    " sepanjang bulan Mei.",
    "Koperasi nelayan mencatat panen 18 ton rumput laut kering dari 42 petak budidaya di"
    " perairan dangkal desa itu.",
    "Harga jual di tingkat pengepul naik menjadi Rp14.500 per kilogram, lebih tinggi dari"
    " musim panen sebelumnya.",
)
FERRY_PAGE = page(
    "Perahu Listrik Mulai Melayani Penyeberangan Sungai Kapuas",
    "Dua perahu listrik mulai melayani warga yang menyeberangi Sungai Kapuas di Pontianak"
    " sejak Selasa pagi.",
    "Tarif penyeberangan perahu listrik ditetapkan Rp3.000 per orang dan perahu berangkat"
    " setiap 20 menit dari dermaga Kapuas Indah.",
)
COFFEE_PAGE = page(
    "Lelang Kopi Manggarai Ramai Pembeli dari Luar Daerah",
    "Lelang kopi di Ruteng didatangi pembeli dari Surabaya dan Makassar pada pekan pertama"
    " bulan Juni.",
    "Harga kopi robusta naik menjadi Rp48.000 per kilogram di pasar lelang Ruteng tahun ini.",
)
SCHOOL_PAGE = page(
    "Sekolah Apung Dibuka untuk Anak Nelayan Teluk Kumai",
    "Sekolah apung di Teluk Kumai menampung 64 anak nelayan yang sebelumnya harus mendayung"
    " satu jam ke sekolah terdekat.",
    "Kepala sekolah apung mengatakan kelas dimulai pukul tujuh pagi dan perahu jemputan"
    " berkeliling ke rumah-rumah panggung.",
)
HOME_PAGE = page(
    "Kabar Pesisir",
    "Selamat datang di Kabar Pesisir, situs berita tentang kehidupan warga pesisir dan tepian"
    " sungai di seluruh Nusantara.",
)


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200


@dataclass
class FeedServer:
    """Feeds, pages and misbehaving endpoints on 127.0.0.1; ``routes`` may change mid-test.

    Requests for a path in ``held`` wait for ``release`` before they are answered.
    """

    routes: dict[str, Route] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: defaultdict[str, threading.Event] = field(
        default_factory=lambda: defaultdict(threading.Event)
    )
    user_agents: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    def start(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # The client gives up on purpose in the timeout and size tests.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval only makes shutdown at the end of each test quick.
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def base(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def arrival(self, path: str) -> threading.Event:
        """Set once ``path`` has been asked for."""
        with self._lock:
            return self.arrived[path]

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        with self._lock:
            self.user_agents.append(request.headers.get("User-Agent", ""))
            self.arrived[path].set()
            route = self.routes.get(path)
            held = path in self.held
        if held and not self.release.wait(timeout=10):
            return
        if path == "/loop":
            self._send(request, 302, b"", "text/plain", location="/loop")
        elif path == "/old-feed":
            self._send(request, 301, b"", "text/plain", location="/rss.xml")
        elif path == "/declared-big.xml":
            self._send(request, 200, b"", "application/rss+xml", length=10**9)
        elif path == "/big.xml":
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml")
            request.end_headers()
            for _ in range(64):  # 2 MB, without a Content-Length: the cap must stop it
                request.wfile.write(b"<!-- padding -->" * 2048)
        elif route is not None:
            self._send(request, route.status, route.body, route.content_type)
        else:
            self._send(request, 404, b"<html><body>Tidak ditemukan</body></html>", "text/html")

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        *,
        location: str | None = None,
        length: int | None = None,
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body) if length is None else length))
        if location:
            request.send_header("Location", location)
        request.end_headers()
        request.wfile.write(body)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    feeds = FeedServer().start()
    base = feeds.base
    html = "text/html; charset=utf-8"
    feeds.routes.update(
        {
            "/rss.xml": Route(rss(base, SEAWEED_ITEM, FERRY_ITEM)),
            "/slow.xml": Route(rss(base, SEAWEED_ITEM, FERRY_ITEM)),
            "/atom.xml": Route(ATOM, "application/atom+xml"),
            "/page-gone.xml": Route(rss(base, PAGE_404_ITEM)),
            "/empty-entry.xml": Route(rss(base, EMPTY_ITEM, SEAWEED_ITEM)),
            "/berita/rumput-laut.html": Route(SEAWEED_PAGE, html),
            "/berita/perahu-listrik.html": Route(FERRY_PAGE, html),
            "/berita/pasar-kopi.html": Route(COFFEE_PAGE, html),
            "/berita/sekolah-apung.html": Route(SCHOOL_PAGE, html),
            "/": Route(HOME_PAGE, html),
        }
    )
    feeds.held.add("/slow.xml")
    try:
        yield feeds
    finally:
        feeds.stop()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/rss.xml"


def articles(items: list[ReadItem]) -> dict[str, RawArticle]:
    return {item.article_id: item for item in items if isinstance(item, RawArticle)}


def problems(items: list[ReadItem]) -> list[Failure | Notice]:
    return [item for item in items if not isinstance(item, RawArticle)]


# -- fetch ---------------------------------------------------------------------------------------


def test_fetch_follows_redirects_and_names_itself(server: FeedServer) -> None:
    fetched = fetch(server.url("/old-feed"))
    assert fetched.url == server.url("/rss.xml")
    assert fetched.status == 200
    assert fetched.media_type == "application/rss+xml"
    assert fetched.body == server.routes["/rss.xml"].body
    assert server.user_agents[-1] == USER_AGENT
    assert "newsbot" in USER_AGENT
    assert USER_AGENT.startswith("Mozilla/5.0 (compatible;")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/nothing-here.xml", "HTTP 404"),
        ("/big.xml", "response larger than 64 KB"),
        ("/declared-big.xml", "response larger than 64 KB"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_fetch_failures_say_why(server: FeedServer, path: str, reason: str) -> None:
    with pytest.raises(FetchError) as raised:
        fetch(server.url(path), max_bytes=64 * 1024)
    assert str(raised.value) == reason


def test_fetch_refuses_other_schemes_and_reports_refused_connections() -> None:
    with pytest.raises(FetchError, match=r"^not an http\(s\) URL$"):
        fetch("file:///etc/passwd")
    with pytest.raises(FetchError, match=r"^cannot connect \(.*refused.*\)$"):
        fetch(closed_port_url())


def test_fetch_times_out(server: FeedServer) -> None:
    with pytest.raises(FetchError, match=r"^timed out after 0\.5 s$"):
        fetch(server.url("/slow.xml"), timeout=0.5)


# -- reading feeds -------------------------------------------------------------------------------


def test_rss_entries_become_articles(server: FeedServer) -> None:
    url = server.url("/rss.xml")
    items = list(read_url(url, NO_PAGES))
    assert problems(items) == []
    read = articles(items)
    # The guid when the entry has one, else its link: both stay put from one poll to the next.
    ferry_url = server.url("/berita/perahu-listrik.html")
    assert set(read) == {"kabar-pesisir-0001", ferry_url}
    seaweed = read["kabar-pesisir-0001"]
    assert seaweed.origin == url
    assert seaweed.title == "Nelayan Tanjung Batu Panen Rumput Laut Lebih Awal"
    assert seaweed.url == server.url("/berita/rumput-laut.html")
    assert seaweed.published == "2025-06-02T08:30:00+07:00"
    assert seaweed.outlet == "Kabar Pesisir"
    assert seaweed.reporter == "Sari Wulandari"
    assert seaweed.body == (
        "Nelayan Desa Tanjung Batu memanen rumput laut dua pekan lebih awal karena cuaca"
        " cerah.\n\nHarga jual di tingkat pengepul ikut membaik."
    )
    ferry = read[ferry_url]
    # "WIB" is Western Indonesian Time, not UTC; an address is not a name.
    assert ferry.published == "2025-06-03T14:00:00+07:00"
    assert ferry.reporter == "Dimas Pratama"
    assert ferry.body == (
        "Dua perahu listrik mulai melayani warga yang menyeberangi Sungai Kapuas."
    )


def test_atom_entries_become_articles(server: FeedServer) -> None:
    url = server.url("/atom.xml")
    read = articles(list(read_url(url, NO_PAGES)))
    coffee = read["tag:suaralembah.test,2025:pasar-kopi"]
    assert coffee.title == "Lelang Kopi Manggarai Ramai Pembeli dari Luar Daerah"
    assert coffee.url == server.url("/berita/pasar-kopi.html")  # resolved against the feed
    assert coffee.published == "2025-06-04T09:15:00+08:00"  # published, not updated
    assert coffee.outlet == "Suara Lembah"
    assert coffee.reporter == "Yohanes Bere"
    # The full content, not the one-line summary.
    assert coffee.body == (
        "Lelang kopi di Ruteng didatangi pembeli dari Surabaya dan Makassar.\n\n"
        "Petani berharap lelang digelar setiap bulan."
    )
    bridge = read["tag:suaralembah.test,2025:jembatan"]
    assert bridge.url is None
    assert bridge.published == "2025-06-05T08:00:00+08:00"  # updated, when nothing else
    assert bridge.reporter is None
    assert "85 meter" in bridge.body


def test_pages_are_fetched_for_the_full_text(server: FeedServer) -> None:
    items = list(read_url(server.url("/rss.xml"), WITH_PAGES))
    assert problems(items) == []
    seaweed = articles(items)["kabar-pesisir-0001"]
    # Only the page has these sentences; the menus and the footer are not taken.
    assert "18 ton rumput laut kering dari 42 petak" in seaweed.body
    assert "Rp14.500 per kilogram" in seaweed.body
    assert "Beranda" not in seaweed.body
    assert "Hak cipta" not in seaweed.body
    assert len(seaweed.body.split("\n\n")) == 3
    # The feed's metadata stays.
    assert seaweed.title == "Nelayan Tanjung Batu Panen Rumput Laut Lebih Awal"
    assert seaweed.outlet == "Kabar Pesisir"
    assert seaweed.published == "2025-06-02T08:30:00+07:00"
    atom = articles(list(read_url(server.url("/atom.xml"), WITH_PAGES)))
    assert "Rp48.000 per kilogram" in atom["tag:suaralembah.test,2025:pasar-kopi"].body
    # No link, no page: the entry's own text.
    assert "85 meter" in atom["tag:suaralembah.test,2025:jembatan"].body


def test_unusable_page_falls_back_to_the_entry_with_a_notice(server: FeedServer) -> None:
    url = server.url("/page-gone.xml")
    items = list(read_url(url, WITH_PAGES))
    market = articles(items)["kabar-pesisir-0404"]
    assert market.body == (
        "Pasar ikan higienis di Sungai Liat diresmikan dengan 120 lapak berpendingin."
    )
    assert problems(items) == [
        Notice(
            url,
            'entry "Pasar Ikan Higienis Diresmikan di Sungai Liat"'
            f" ({server.url('/berita/hilang.html')}): page not used (HTTP 404);"
            " indexed the feed's text",
        )
    ]


def test_entry_without_text_is_a_failure_naming_it(server: FeedServer) -> None:
    url = server.url("/empty-entry.xml")
    items = list(read_url(url, NO_PAGES))
    assert set(articles(items)) == {"kabar-pesisir-0001"}
    assert problems(items) == [
        Failure(url, 'entry "Foto: Senja di Dermaga" (kabar-pesisir-foto-7) has no text')
    ]


def test_a_page_given_as_a_feed_is_one_failure(server: FeedServer) -> None:
    url = server.url("/")
    assert list(read_url(url, WITH_PAGES)) == [
        Failure(
            url,
            "not an RSS or Atom feed (got text/html); give the feed's URL, not the page's",
        )
    ]


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/nothing-here.xml", "HTTP 404"), ("/big.xml", "response larger than 64 KB")],
)
def test_a_feed_that_cannot_be_fetched_is_one_failure(
    server: FeedServer, path: str, reason: str
) -> None:
    url = server.url(path)
    assert list(read_url(url, SMALL_CAP)) == [Failure(url, f"cannot fetch the feed: {reason}")]


def test_feed_files_are_read_like_feeds(server: FeedServer, tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "pesisir.rss").write_bytes(server.routes["/rss.xml"].body)
    (folder / "lembah.atom").write_bytes(ATOM)
    (folder / "bukan-feed.xml").write_bytes(HOME_PAGE)
    rss_items = list(read_file(folder / "pesisir.rss", folder, NO_PAGES))
    assert set(articles(rss_items)) == {
        "kabar-pesisir-0001",
        server.url("/berita/perahu-listrik.html"),
    }
    assert all(item.origin == str(folder / "pesisir.rss") for item in articles(rss_items).values())
    # Saved feeds fetch their pages too when asked to.
    with_pages = articles(list(read_file(folder / "pesisir.rss", folder, WITH_PAGES)))
    assert "18 ton rumput laut" in with_pages["kabar-pesisir-0001"].body
    assert list(read_file(folder / "bukan-feed.xml", folder, NO_PAGES)) == [
        Failure(
            str(folder / "bukan-feed.xml"),
            "not an RSS or Atom feed (got text/html); give the feed's URL, not the page's",
        )
    ]
    report = index_sources(tmp_path / "a.db", [folder], options=NO_PAGES)
    assert (report.added, report.failed) == (4, 1)


def test_read_feed_takes_bytes_never_a_file_name(tmp_path: Path) -> None:
    # feedparser opens a str or bytes argument as a file when one of that name exists.
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss("http://127.0.0.1", SEAWEED_ITEM))
    items = list(read_feed(str(secret).encode(), "test", NO_PAGES, None))
    assert items == [Failure("test", "not an RSS or Atom feed")]


def test_empty_broken_and_missing_feeds() -> None:
    # A feed with nothing in it yet is not a problem.
    assert list(read_feed(rss("http://127.0.0.1"), "test", NO_PAGES, None)) == []
    cut = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Kabar'
    (broken,) = read_feed(cut, "test", NO_PAGES, None)
    assert isinstance(broken, Failure)
    assert broken.reason.startswith("broken feed, no entry could be read (<unknown>:1:")
    assert list(read_feed(b"", "test", NO_PAGES, None)) == [
        Failure("test", "not an RSS or Atom feed")
    ]


def test_a_day_without_a_time_stays_a_day() -> None:
    item = SEAWEED_ITEM.replace("Mon, 02 Jun 2025 08:30:00 +0700", "2025-06-02")
    (article,) = read_feed(rss("http://127.0.0.1", item), "test", NO_PAGES, None)
    assert isinstance(article, RawArticle)
    assert article.published == "2025-06-02"


# -- indexing ------------------------------------------------------------------------------------


def test_broken_feeds_are_reported_and_the_rest_indexed(
    server: FeedServer, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    good = [server.url("/rss.xml"), server.url("/atom.xml")]
    first = index_sources(db, [SAMPLE, *good], options=WITH_PAGES)
    assert (first.added, first.failed) == (12 + 4, 0)
    unreachable, html_page = closed_port_url(), server.url("/")
    second = index_sources(db, [unreachable, *good, html_page], options=WITH_PAGES)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 4)
    assert [failure.where for failure in second.failures] == [unreachable, html_page]
    assert second.failures[0].reason.startswith("cannot fetch the feed: cannot connect (")
    assert second.failures[1].reason.startswith("not an RSS or Atom feed (got text/html)")
    archive = Archive(db)
    assert "18 ton rumput laut kering" in archive.ask("berapa ton panen rumput laut").hits[0].text
    assert "Rp4.000" in archive.ask("tarif bus listrik Semarang").hits[0].text


def test_repolling_leaves_entries_unchanged_and_adds_new_ones(
    server: FeedServer, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    url = server.url("/rss.xml")
    assert index_sources(db, [url], options=WITH_PAGES).added == 2
    requests_before = len(server.user_agents)
    again = index_sources(db, [url], options=WITH_PAGES)
    assert (again.added, again.updated, again.unchanged, again.failed) == (0, 0, 2, 0)
    # Only the feed itself: the pages of entries it still lists unchanged are not fetched again.
    assert len(server.user_agents) - requests_before == 1
    # The outlet publishes a story; the oldest one drops out of the feed.
    server.routes[url.removeprefix(server.base)] = Route(rss(server.base, NEW_ITEM, FERRY_ITEM))
    newer = index_sources(db, [url], options=WITH_PAGES, prune=True)
    assert (newer.added, newer.unchanged, newer.removed) == (1, 1, 0)
    archive = Archive(db)
    school = archive.ask("sekolah apung anak nelayan Teluk Kumai").hits[0]
    assert school.article_id == "kabar-pesisir-0003"
    assert school.outlet == "Kabar Pesisir"
    # Gone from the feed is not gone from the archive, even with --prune.
    assert archive.ask("panen rumput laut Tanjung Batu").hits[0].article_id == (
        "kabar-pesisir-0001"
    )


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("NEWSBOT_DB", "NEWSBOT_FETCH_PAGES", "NEWSBOT_MAX_FILE_MB"):
        monkeypatch.delenv(key, raising=False)
    return CliRunner()


def test_cli_indexes_feed_urls_beside_files(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    db = str(tmp_path / "a.db")
    result = runner.invoke(main, ["index", "--db", db, str(SAMPLE), server.url("/rss.xml")])
    assert result.exit_code == 0, result.output
    assert "added 14, updated 0, unchanged 0, failed 0" in result.output
    broken = closed_port_url()
    partial = runner.invoke(main, ["index", "--db", db, server.url("/rss.xml"), broken])
    assert partial.exit_code == 3, partial.output
    assert f"failed: {broken}: cannot fetch the feed: cannot connect (" in partial.output
    missing = runner.invoke(main, ["index", "--db", db, str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "no such file or folder" in missing.output


# -- the bot polls ------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN, bot_username=BOT) as telegram:
        yield telegram


@pytest.fixture
def services(tmp_path: Path, server: FeedServer, fake: FakeTelegram) -> Services:
    sources = tmp_path / "news"
    shutil.copytree(SAMPLE, sources)
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [sources])
    settings = BotSettings(
        token=TOKEN,
        db_path=db_path,
        base_url=fake.base_url,
        admin_ids=frozenset({ADMIN_ID}),
        sources=(sources,),
        read_options=WITH_PAGES,
        feeds=(server.url("/slow.xml"), server.url("/atom.xml")),
        feed_interval=dt.timedelta(minutes=30),
    )
    return Services(
        settings=settings,
        archive=Archive(db_path),
        conversations=Conversations(db_path),
        progress_interval=0.01,
    )


@pytest.fixture
async def app(fake: FakeTelegram, services: Services) -> AsyncIterator[BotApplication]:
    async with polling_bot(fake, services) as application:
        yield application


async def run_feed_job(app: BotApplication) -> None:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(FEED_JOB)
    job.enabled = False  # run only by hand: the schedule must not fire mid-test
    await job.run(app)


async def reply_to(fake: FakeTelegram, chat: Chat, question: Message) -> Message:
    def answer() -> Message | None:
        return next((m for m in fake.sent_to(chat) if m.message_id > question.message_id), None)

    return await fake.wait_for(answer, what=f"a reply to {question.text!r}")


async def test_bot_polls_feeds_without_blocking_answers(
    fake: FakeTelegram, app: BotApplication, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(FEED_JOB)
    assert job.job.trigger.interval == dt.timedelta(minutes=30)
    reader: User = fake.user(2002, "Budi")
    admin: User = fake.user(ADMIN_ID, "Ayu")
    chat, admin_chat = fake.private_chat(reader), fake.private_chat(admin)
    question = KAPUAS
    before = await reply_to(fake, chat, fake.send(chat, reader, question))
    assert "Rp3.000" not in before.text

    caplog.set_level(logging.INFO, logger="bot.feeds")
    poll = asyncio.ensure_future(run_feed_job(app))
    # The poll is waiting for the slow feed: questions are still answered meanwhile ...
    assert await asyncio.to_thread(server.arrival("/slow.xml").wait, 5)
    meanwhile = await reply_to(fake, chat, fake.send(chat, reader, "tarif bus listrik Semarang"))
    assert "Rp4.000" in meanwhile.text
    # ... and /reindex waits its turn, as for another /reindex.
    busy = await reply_to(fake, admin_chat, fake.send(admin_chat, admin, "/reindex"))
    assert busy.text == INDONESIAN_TEXTS.reindex_busy
    assert not poll.done()
    server.release.set()
    await asyncio.wait_for(poll, timeout=20)

    after = await reply_to(fake, chat, fake.send(chat, reader, question))
    assert after.raw_text.startswith("<blockquote>")
    assert "Rp3.000 per orang" in after.text
    assert "Kabar Pesisir" in after.text
    summary = [r.getMessage() for r in caplog.records if r.name == "bot.feeds"]
    assert len(summary) == 1
    assert summary[0].startswith("feeds: 2 polled in ")
    assert summary[0].endswith("added 4, updated 0, unchanged 0, failed 0, notices 0")

    # /status names each feed and when it was last read.
    status = await reply_to(fake, admin_chat, fake.send(admin_chat, admin, "/status"))
    for feed in (server.url("/slow.xml"), server.url("/atom.xml")):
        assert f"• {feed}: " in status.text
    assert INDONESIAN_TEXTS.status_feed_never not in status.text
    assert "gagal" not in status.text


async def test_poll_is_skipped_while_a_reindex_or_another_writer_runs(
    fake: FakeTelegram,
    app: BotApplication,
    services: Services,
    server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.feeds")
    server.release.set()
    async with services.reindex_slot():
        await run_feed_job(app)
    with writer_lock(services.settings.db_path):
        await run_feed_job(app)
    assert not server.arrival("/slow.xml").is_set()
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.feeds"]
    assert messages == [
        "feeds: poll skipped, a /reindex is running; next poll as scheduled",
        "feeds: poll skipped, another process is indexing; next poll as scheduled",
    ]
    assert all("Rp3.000" not in hit.text for hit in services.archive.ask(KAPUAS).hits)
    # The next poll goes ahead.
    await run_feed_job(app)
    assert "Rp3.000" in services.archive.ask(KAPUAS).hits[0].text


def test_no_feeds_no_job(services: Services) -> None:
    settings = services.settings
    plain = Services(
        settings=BotSettings(token=settings.token, db_path=settings.db_path),
        archive=services.archive,
        conversations=services.conversations,
    )
    application = build_application(plain)
    assert application.job_queue is not None
    assert application.job_queue.get_jobs_by_name(FEED_JOB) == ()


def test_links_to_private_addresses_are_not_fetched() -> None:
    assert is_public_host("93.184.215.14")
    assert not is_public_host("127.0.0.1")
    assert not is_public_host("10.1.2.3")
    assert not is_public_host("169.254.169.254")
    with pytest.raises(FetchError, match="not a public address"):
        fetch("http://10.1.2.3/admin", trusted_host="127.0.0.1")
