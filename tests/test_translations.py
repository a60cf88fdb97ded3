"""Every interface string has a Spanish translation, and Spanish readers get it."""

from configparser import ConfigParser
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import once

pytestmark = once

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app" / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def extracted_messages() -> set:
    config = ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [tuple(reversed(section.split(": ", 1))) for section in config.sections()]
    keywords = DEFAULT_KEYWORDS | {"_l": None, "lazy_gettext": None}
    return {
        message
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords=keywords
        )
    }


def test_every_interface_string_is_translated_to_spanish():
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="es")
    missing = []
    for message_id in extracted_messages():
        entry = catalog.get(message_id)
        strings = entry.string if entry is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(message_id)
    assert missing == [], "run `make update-translations` and translate these"


def test_spanish_readers_get_spanish_pages(client, make_event):
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="es")
    event = make_event(capacity=5)
    page = client.get(f"/events/{event.slug}?lang=es").text
    assert '<html lang="es">' in page
    for english in ["Send my RSVP", "Full name", "Upcoming"]:
        spanish = catalog.get(english).string
        assert spanish and spanish != english
        assert spanish in page
        assert english not in page
