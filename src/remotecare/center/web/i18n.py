"""The console's languages: which one a person gets, its message catalogue, and how dates,
numbers and relative times are written in it.

The language is the person's own choice (the ``lang`` cookie the language switcher sets),
else the best match of the browser's ``Accept-Language``, else English. Times are shown
in the person's time zone (their setting, ``valid_time_zone``), else Asia/Tokyo.

Catalogues are the ``.po`` files under ``locale/`` (``messages.pot`` is their template,
``babel.cfg`` at the top of the repository says where messages are extracted from); they
are compiled in memory when the console starts, so no compiled ``.mo`` file can go stale.
``tests/unit/center/test_console_catalogue.py`` fails on a message without a Japanese
translation, or with a fuzzy one.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_TIME_ZONE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LOCALE_DIR",
    "TIME_ZONE_COOKIE",
    "Formats",
    "choose_language",
    "load_translations",
    "valid_time_zone",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "ja": "日本語"}  # each named in itself
DEFAULT_LANGUAGE = "en"
DEFAULT_TIME_ZONE = ZoneInfo("Asia/Tokyo")
LANGUAGE_COOKIE = "lang"
TIME_ZONE_COOKIE = "tz"
_MAX_ZONE_CHARS = 64
_SECOND = dt.timedelta(seconds=1)
_MAX_ACCEPT_LANGUAGE = 512  # characters read of the header; the rest is ignored


def load_translations() -> dict[str, gettext.NullTranslations]:
    """Each language's catalogue, compiled from its ``.po`` file (English: the msgids)."""
    found: dict[str, gettext.NullTranslations] = {DEFAULT_LANGUAGE: gettext.NullTranslations()}
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalogue = read_po(po, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        found[language] = gettext.GNUTranslations(compiled)
    return found


def valid_time_zone(name: str | None) -> str | None:
    """``name`` if it is an IANA time zone this machine knows ("Asia/Tokyo"), else None."""
    if not name or len(name) > _MAX_ZONE_CHARS or name not in _known_zones():
        return None
    return name


@functools.cache
def _known_zones() -> frozenset[str]:
    # Looked up in the list, never by opening a file named by the caller ("../../etc").
    return frozenset(zoneinfo.available_timezones())


def choose_language(chosen: str | None, accept_language: str | None) -> str:
    """The language to answer in: ``chosen`` if we have it, else the browser's best
    match, else English. Unknown or malformed values are ignored, never refused."""
    if chosen in LANGUAGES:
        return chosen
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((accept_language or "")[:_MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, parameters = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = _quality(parameters)
        if quality <= 0:
            continue
        candidate = (quality, -position, primary)  # higher q first, then earlier
        if best is None or candidate > best:
            best = candidate
    return DEFAULT_LANGUAGE if best is None else best[2]


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                return 0.0
            return quality if 0 <= quality <= 1 else 0.0
    return 1.0


@dataclass(frozen=True, slots=True, init=False)
class Formats:
    """Dates, numbers and durations written for one language and time zone.

    Usage::

        Formats("ja").ago(moment, now)          # "20 分前"
        Formats("en").number(48213)             # "48,213"
    """

    language: str
    time_zone: ZoneInfo
    _locale: Locale  # parsed once: Babel parses a language name on every call otherwise

    def __init__(self, language: str, time_zone: ZoneInfo = DEFAULT_TIME_ZONE) -> None:
        object.__setattr__(self, "language", language)
        object.__setattr__(self, "time_zone", time_zone)
        object.__setattr__(self, "_locale", Locale.parse(language))

    def number(self, value: float | int | None) -> str:
        return "" if value is None else format_decimal(value, locale=self._locale)

    def datetime(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        return format_datetime(moment, "medium", tzinfo=self.time_zone, locale=self._locale)

    def date(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        return format_date(moment.astimezone(self.time_zone), "medium", locale=self._locale)

    def month(self, moment: dt.datetime) -> str:
        """The month of ``moment`` short, as on a chart's axis ("Jan 2026", "2026年1月")."""
        local = moment.astimezone(self.time_zone)
        return format_skeleton("yMMM", local, locale=self._locale)

    def span(self, length: dt.timedelta) -> str:
        """A duration, short ("20 min", "20 分")."""
        return format_timedelta(
            max(length, dt.timedelta(0)), format="short", threshold=1, locale=self._locale
        )

    def ago(self, moment: dt.datetime | None, now: dt.datetime) -> str | None:
        """How long before ``now`` ``moment`` was ("20 minutes ago"); None if never."""
        if moment is None:
            return None
        return format_timedelta(
            min(moment - now, -_SECOND),  # a moment ahead (clocks differ) is "just now"
            add_direction=True,
            threshold=1,
            locale=self._locale,
        )
