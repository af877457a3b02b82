"""What the test web site serves: a podcast feed of Data Bites editions and an edition page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.httpserver import Route, Server


@dataclass
class Episode:
    number: int
    date: str  # YYYY-MM-DD
    path: str  # the enclosure's path on the server ("" for an absolute url)
    url: str = ""  # an absolute enclosure URL (for file:// and friends)
    title: str = ""

    @property
    def guid(self) -> str:
        return f"databites-{self.number}"


RFC822_DAYS = {"2026-01-14": "Wed, 14 Jan 2026", "2026-02-11": "Wed, 11 Feb 2026",
               "2026-03-11": "Wed, 11 Mar 2026", "2026-04-08": "Wed, 08 Apr 2026"}  # fmt: skip


def feed_xml(server: Server, episodes: list[Episode]) -> bytes:
    """An RSS 2.0 podcast feed, newest first, as podcast hosts write them."""
    items = []
    for e in sorted(episodes, key=lambda e: e.date, reverse=True):
        url = e.url or server.url(e.path)
        title = e.title or f"Data Bites #{e.number}: Edition {e.number}"
        items.append(
            f'<item><title>{title}</title><guid isPermaLink="false">{e.guid}</guid>'
            f"<link>{server.url(f'/posts/{e.number}')}</link>"
            f"<description>&lt;p&gt;Four talks on public-sector data.&lt;/p&gt;</description>"
            f"<pubDate>{RFC822_DAYS[e.date]} 18:00:00 GMT</pubDate>"
            f'<enclosure url="{url}" type="audio/mpeg" length="1000"/></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        "<title>Data Bites</title><link>https://example.org</link>"
        f"<description>Data Bites recordings</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve_feed(server: Server, clips: list[Path], episodes: list[Episode]) -> str:
    """Serve each episode's audio and the feed; returns the feed's URL."""
    for episode, clip in zip(episodes, clips, strict=False):
        if episode.path and episode.path not in server.routes:
            server.routes[episode.path] = Route(clip.read_bytes(), "audio/mpeg")
    server.routes["/feed.xml"] = Route(feed_xml(server, episodes), "application/rss+xml")
    return server.url("/feed.xml")


THREE = [
    Episode(1, "2026-01-14", "/audio/ep1.mp3"),
    Episode(2, "2026-02-11", "/audio/ep2.mp3"),
    Episode(3, "2026-03-11", "/audio/ep3.mp3"),
]

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>Data Bites #9</title><guid>bomb</guid>
<enclosure url="http://127.0.0.1:1/a.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&secret;</title></channel></rss>"""


def edition_page(recording: str) -> bytes:
    """A write-up page like the Data Bites posts: one heading per talk, the speakers below."""
    return f"""<!doctype html>
<html><head><title>Data Bites #56 | Data Bites</title>
<meta property="article:published_time" content="2026-10-14T18:00:00+00:00"></head>
<body><nav><a href="/">Home</a> <a href="/about">About: the series</a></nav>
<article>
<h1>Data Bites #56: Open data, dashboards and AI</h1>
<p>Our October edition was hosted by Dan Barrett. Watch the
<a href="{recording}">recording</a> or read on.</p>
<h3>Sam Milsom: Open data in local government</h3>
<p>Sam Milsom is the open data lead at St Helens Council. He talked about publishing
what the council knows.</p>
<h3>Priya Shah and Tom Baker: Dashboards clinicians actually use</h3>
<p>Priya is a clinical analyst and Tom a data engineer, both at Merseycare NHS.</p>
<p><strong>Alex Rivers: Artificial intelligence for council services</strong></p>
<p>Alex Rivers (Head of Digital, Liverpool City Region) closed the evening.</p>
<p>Thanks to everyone who came. Update: slides are on the wiki.</p>
</article></body></html>""".encode()


# feedparser keeps an entity whose value holds no '&' for its loose parser, which it falls back
# to when the strict parse fails: a '--' inside a comment (not well-formed XML) before the
# DOCTYPE made the strict parse fail before it saw the declarations
COMMENT = "<!-- the -- in here makes the document not well-formed -->"
ITEM = (
    '<item><title>Data Bites #9</title><guid>bomb</guid><enclosure url="http://127.0.0.1:1/a.mp3"'
    ' type="audio/mpeg" length="1"/></item>'
)


def entity_bomb(value: int = 1000, references: int = 100, encoding: str = "utf-8") -> bytes:
    """An RSS feed whose title is `references` references to one entity of `value` bytes: with
    10,000 and 10,000, 40 KB of feed that feedparser's loose parser made a 100 MB title of."""
    return declaring(f'<!ENTITY a "{"x" * value}">', "&a;" * references, encoding=encoding)


def declaring(subset: str, title: str = "Data Bites", encoding: str = "utf-8") -> bytes:
    """A feed with a DOCTYPE whose internal subset is `subset`, after the comment above."""
    declared = encoding.split("-le")[0].split("-be")[0].upper()
    return (
        f'<?xml version="1.0" encoding="{declared}"?>\n{COMMENT}\n<!DOCTYPE rss [\n{subset}\n]>\n'
        f'<rss version="2.0"><channel><title>{title}</title>{ITEM}</channel></rss>'
    ).encode(encoding)
