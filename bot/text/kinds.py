"""What kind of piece an article is: news, or a video, gallery, quiz, podcast, explainer,
listicle or interactive page that rarely anchors a story.

Decided from the link's path and the title's furniture, the two places publishers mark
such pieces ("/video/", "/gallery/", "in pictures", "Quiz:", "podcast"). A non-news
piece can still join a story that is clearly its event, but does not count as an outlet
reporting it, so a story of videos and quizzes alone is never posted.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.core.domain import Article
from bot.text.mastheads import without_masthead

NEWS = "news"
_PATH_KINDS = (
    ("video", re.compile(r"/(?:videos?|watch|tv|clip)(?:/|$)")),
    (
        "gallery",
        re.compile(r"/(?:gallery|galleries|pictures|photos?|in-pictures|slideshow)(?:/|$)"),
    ),
    ("audio", re.compile(r"/(?:audio|podcasts?)(?:/|$)")),
    ("interactive", re.compile(r"/(?:ng-interactive|interactive|graphics?)(?:/|$)")),
    ("quiz", re.compile(r"/quiz(?:zes)?(?:/|$)|-quiz(?:-|$|/)")),
)
_I = re.IGNORECASE
_TITLE_KINDS = (
    (
        "video",
        re.compile(
            r"[-\u2013\u2014|:]\s*video(?: explainer| report)?\s*$|^\(?video\)?\s*[:|)]"
            r"|^(?:\u89c6\u9891|\u8996\u983b)\s*[:\uff1a]",  # Chinese "video:"
            _I,
        ),
    ),
    (
        "gallery",
        re.compile(
            r"[-\u2013\u2014|:]\s*in pictures\s*$|^in pictures\s*[:|]|\bphotos?\s*[:|]|\bgallery\b"
            r"|\b(?:picture|photo|image)s? of the (?:day|week)\b",
            _I,
        ),
    ),
    ("quiz", re.compile(r"\bquiz\b", _I)),
    # Chinese "programme replay", "audio:"
    ("audio", re.compile(r"\bpodcast\b|^\u8282\u76ee\u91cd\u6e29|^\u97f3\u9891\s*[:\uff1a]", _I)),
    (
        "list",
        re.compile(
            r"^(?:the\s+)?(?:top\s+)?\d{1,2}\s+(?:best|things|ways|reasons|of the|most|greatest"
            r"|times|moments|players|films|books|songs|tips)\b|\btop \d{1,2}\b",
            _I,
        ),
    ),
    (
        "explainer",
        re.compile(
            r"\b(?:explained|explainer|everything you need to know|what you need to know"
            r"|family tree|fan theor(?:y|ies)|in \d{1,2} (?:charts|graphs|maps|gifs|tweets)"
            r"|here['\u2019]s (?:what|why|how))\b"
            # "horse-by-horse guide to ...", "venue guides: ...", "squad guide"
            r"|\bguides?\b\s*(?:to\b|[:|]|$)",
            _I,
        ),
    ),
)


# A desk's label before a title ("Review: Pebblestone X4 …", "Analysis: …") says what
# kind of piece it is, not what it is about: two reviews of a film and an e-reader share
# the word and nothing else.
_LABEL = re.compile(
    r"^\s*(?:review|analysis|opinion|comment|explainer|exclusive|breaking|interview"
    r"|editorial|fact[ -]check|watch|live)\s*[:|]\s*",
    _I,
)


def without_label(title: str) -> str:
    """The title without a leading kind label ("Review: ", "Analysis | ")."""
    return _LABEL.sub("", title, count=1)


def piece_kind(title: str, url: str = "") -> str:
    """``news`` for a report, else the kind of feature piece it is."""
    path = urlsplit(url).path.lower() if url else ""
    for kind, pattern in _PATH_KINDS:
        if pattern.search(path):
            return kind
    for kind, pattern in _TITLE_KINDS:
        if pattern.search(title.strip()):
            return kind
    return NEWS


def is_news(title: str, url: str = "") -> bool:
    return piece_kind(title, url) == NEWS


def is_report(article: Article) -> bool:
    """Whether a stored article reports its event, judged on its title without the
    publisher's appended name ("... - video - The Guardian" is a video), as the clusterer
    judges it, so outlets, breaking and the lead agree with the clusterer."""
    return is_news(without_masthead(article.title, article.publisher_key), article.url)
