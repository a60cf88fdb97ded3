"""A server never serves English under lang="es" for want of a compiled catalog: the factory
compiles a missing or stale .mo, elsewhere if the package is read-only, or refuses to start.

Each test works on a copy of the catalogs in a temporary folder, never on the real ones that
other test runs read at the same time.
"""

import os
import time
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from app import create_app
from app.catalogs import CatalogError
from app.extensions import babel, db
from config import TestingConfig
from tests.conftest import once

pytestmark = once

REAL_PO = Path(__file__).resolve().parents[1] / "app/translations/es/LC_MESSAGES/messages.po"
MARKER = "Próximos eventos (catálogo de prueba)"


@pytest.fixture(autouse=True)
def fresh_translations():
    """Flask-Babel caches translations per process, across apps: start and end empty, so this
    test reads its own catalogs and the next test does not see them."""
    _clear_translation_cache()
    yield
    _clear_translation_cache()


def _clear_translation_cache() -> None:
    if "domain_instance" in babel.__dict__:  # a cached_property, made on first use
        babel.domain_instance.cache.clear()


def copy_catalog(directory: Path, upcoming: str = MARKER) -> Path:
    """The real Spanish .po under `directory`, with "Upcoming events" translated as `upcoming`
    so a page shows which catalog it was served from. Returns the .po's path."""
    with REAL_PO.open("rb") as source:
        catalog = read_po(source, locale="es")
    catalog["Upcoming events"].string = upcoming
    po = directory / "es/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as target:
        write_po(target, catalog)
    return po


def config_for(tmp_path: Path, translations: Path, compiled: Path | None = None):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'catalogs.sqlite3'}"
        BABEL_TRANSLATION_DIRECTORIES = str(translations)
        COMPILED_TRANSLATIONS_DIR = str(compiled or tmp_path / "compiled")

    return Config


def spanish_listing(app) -> str:
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/?lang=es")
    assert response.status_code == 200
    assert '<html lang="es">' in response.text
    return response.text


def test_a_missing_compiled_catalog_is_compiled_at_start_up(tmp_path):
    translations = tmp_path / "translations"
    po = copy_catalog(translations)
    mo = po.with_suffix(".mo")
    assert not mo.exists()

    app = create_app(config_for(tmp_path, translations))
    assert mo.is_file()
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(translations)
    page = spanish_listing(app)
    assert MARKER in page
    assert "Upcoming events" not in page


def test_a_catalog_older_than_its_po_is_compiled_again(tmp_path):
    translations = tmp_path / "translations"
    po = copy_catalog(translations, upcoming="Una traducción anterior")
    with po.open("rb") as source:
        old_catalog = read_po(source, locale="es")
    mo = po.with_suffix(".mo")
    with mo.open("wb") as target:
        write_mo(target, old_catalog)
    an_hour_ago = time.time() - 3600
    os.utime(mo, (an_hour_ago, an_hour_ago))
    po.unlink()
    copy_catalog(translations.parent / "newer")
    (translations.parent / "newer/es/LC_MESSAGES/messages.po").replace(po)  # a newer .po

    app = create_app(config_for(tmp_path, translations))
    assert mo.stat().st_mtime > an_hour_ago
    page = spanish_listing(app)
    assert MARKER in page and "Una traducción anterior" not in page


def test_an_up_to_date_catalog_is_left_alone(tmp_path):
    translations = tmp_path / "translations"
    po = copy_catalog(translations)
    create_app(config_for(tmp_path, translations))
    mo = po.with_suffix(".mo")
    compiled_at = mo.stat().st_mtime_ns
    create_app(config_for(tmp_path, translations))
    assert mo.stat().st_mtime_ns == compiled_at


def block_writing_beside(po: Path) -> None:
    """Make writing the .mo next to `po` fail, as in a read-only package: a directory holds its
    place (a chmod would not stop tests running as root)."""
    (po.with_suffix(".mo") / "in-the-way").mkdir(parents=True)


def test_a_read_only_package_gets_its_catalog_compiled_into_the_writable_folder(tmp_path):
    translations = tmp_path / "translations"
    po = copy_catalog(translations)
    block_writing_beside(po)
    compiled = tmp_path / "instance" / "translations"

    app = create_app(config_for(tmp_path, translations, compiled))
    assert (compiled / "es/LC_MESSAGES/messages.mo").is_file()
    # The writable copy takes the package's place: Flask-Babel reads only complete catalogs.
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(compiled)
    assert MARKER in spanish_listing(app)


def test_start_up_is_refused_when_no_catalog_can_be_written(tmp_path):
    translations = tmp_path / "translations"
    block_writing_beside(copy_catalog(translations))
    not_a_folder = tmp_path / "compiled"
    not_a_folder.write_text("a file where the compiled catalogs would go")

    with pytest.raises(CatalogError) as refused:
        create_app(config_for(tmp_path, translations, not_a_folder))
    message = str(refused.value)
    assert str(translations) in message and str(not_a_folder) in message
    assert "make translations" in message


def test_start_up_is_refused_without_a_catalog_for_an_offered_language(tmp_path):
    translations = tmp_path / "translations"
    translations.mkdir()

    with pytest.raises(CatalogError, match="No translation catalog for language 'es'"):
        create_app(config_for(tmp_path, translations))


def test_an_unreadable_catalog_is_reported_by_name(tmp_path):
    translations = tmp_path / "translations"
    po = translations / "es/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n\xff\xfe')

    with pytest.raises(CatalogError, match="Can't read the translation catalog"):
        create_app(config_for(tmp_path, translations))
