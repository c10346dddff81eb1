"""Every message of the console has a Japanese translation: the messages are extracted
from the code and templates as ``babel.cfg`` says, and compared with the catalogues.
Fails on a new message nobody translated, on a fuzzy (unchecked) translation, and on a
translation whose placeholders differ from the message's."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from remotecare.center.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[3]


def _extracted() -> Catalog:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    catalogue = Catalog()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        catalogue.add(message)
    return catalogue


def _ids(catalogue: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    extracted = _ids(_extracted())
    assert len(extracted) > 100  # the extraction found the pages
    template = _ids(_read(LOCALE_DIR / "messages.pot"))
    assert sorted(extracted - template) == [], "run the pybabel extract of babel.cfg"
    assert sorted(template - extracted) == [], "messages.pot holds messages no longer used"


def test_every_message_has_a_translation_in_every_language() -> None:
    extracted = _extracted()
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalogue = _read(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", language)
        missing, fuzzy = [], []
        for message in extracted:
            if not message.id:
                continue
            found = catalogue.get(message.id)
            given = None if found is None else found.string
            strings = (given,) if isinstance(given, str) else tuple(given or ())
            if found is None or not strings or not all(strings):
                missing.append(message.id)
            elif found.fuzzy:
                fuzzy.append(message.id)
        assert missing == [], f"{language}: no translation for {missing}"
        assert fuzzy == [], f"{language}: fuzzy translations for {fuzzy}"
        problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check() if errors]
        assert problems == [], f"{language}: translations that do not fit: {problems}"


def test_every_translation_formats_as_jinjas_newstyle_gettext_does() -> None:
    """Templates format every message with ``%`` (even without placeholders), so a bare
    ``%`` in a translation (``1% あたり``) breaks the page in that language only."""
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalogue = _read(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", language)
        broken = []
        for message in catalogue:
            if not message.id or not isinstance(message.string, str) or not message.string:
                continue
            names = re.findall(r"%\((\w+)\)", message.string)
            try:
                message.string % {name: 1 for name in names}
            except (ValueError, TypeError, KeyError) as exc:
                broken.append((message.id, str(exc)))
        assert broken == [], f"{language}: translations % cannot format: {broken}"
