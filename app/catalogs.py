"""Compiled translation catalogs, checked at start-up.

Flask-Babel reads only compiled catalogs (.mo). `make` builds them from the .po files, but an
install that skipped it, or a .po updated after the last build, would otherwise serve English,
or stale Spanish, under lang="es" without a word. So the factory compiles what is missing or
out of date before Flask-Babel looks, and refuses to start when a language has no catalog.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask


class CatalogError(RuntimeError):
    """A language the app offers has no usable catalog, and none could be compiled."""


def ensure_compiled_catalogs(app: Flask) -> None:
    """Compile every catalog whose .mo is missing or older than its .po, before Flask-Babel
    reads BABEL_TRANSLATION_DIRECTORIES.

    Where the package directory is read-only, the compiled catalogs go to
    COMPILED_TRANSLATIONS_DIR (instance/translations by default) instead, and that folder takes
    the package directory's place in the setting. Raises CatalogError when a language in
    LANGUAGES is left without a catalog.
    """
    domain = app.config.get("BABEL_DOMAIN", "messages")
    configured = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations").split(";")
    writable = Path(
        app.config.get("COMPILED_TRANSLATIONS_DIR") or Path(app.instance_path, "translations")
    )
    directories = []
    for index, entry in enumerate(configured):
        source = Path(app.root_path, entry)  # an absolute entry stays as it is
        fallback = writable if index == 0 else writable.with_name(f"{writable.name}-{index}")
        directories.append(_compiled_directory(source, fallback, domain))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(d) for d in directories)

    default = app.config.get("BABEL_DEFAULT_LOCALE", "en")
    for language in app.config.get("LANGUAGES", ()):
        if language == default:
            continue
        if not any((d / language / "LC_MESSAGES" / f"{domain}.mo").is_file() for d in directories):
            raise CatalogError(
                f"No translation catalog for language {language!r}: expected "
                f"{language}/LC_MESSAGES/{domain}.po in {' or '.join(configured)}. "
                f"Without it, pages asked for in {language!r} would be served in {default!r}."
            )


def _compiled_directory(source: Path, fallback: Path, domain: str) -> Path:
    """`source` if its catalogs are compiled (now, if need be), else `fallback` holding them."""
    catalogs = sorted(source.glob(f"*/LC_MESSAGES/{domain}.po"))
    stale = [po for po in catalogs if _is_stale(po, po.with_suffix(".mo"))]
    if not stale:
        return source
    try:
        for po in stale:
            _compile(po, po.with_suffix(".mo"))
        return source
    except OSError as error:
        in_place_error = error

    # The package is read-only: a complete copy in the instance folder stands in for it.
    try:
        for po in catalogs:
            target = fallback / po.relative_to(source).with_suffix(".mo")
            if _is_stale(po, target):
                _compile(po, target)
        for mo in source.glob(f"*/LC_MESSAGES/{domain}.mo"):
            if not mo.with_suffix(".po").exists():  # shipped compiled only: copy as it is
                target = fallback / mo.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(mo, target)
    except OSError as error:
        raise CatalogError(
            f"The translation catalogs in {source} are not compiled and can't be: writing "
            f"them there failed ({in_place_error}), and so did writing them to {fallback} "
            f"({error}). Run `make translations` (pybabel compile -d {source}) as a user "
            "who may write there, or set COMPILED_TRANSLATIONS_DIR to a writable folder."
        ) from error
    return fallback


def _is_stale(po: Path, mo: Path) -> bool:
    """The .mo is missing (or not a file) or older than its .po."""
    try:
        return not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime
    except FileNotFoundError:
        return True


def _compile(po: Path, mo: Path) -> None:
    """Compile `po` to `mo` as `pybabel compile` does (fuzzy entries left out). The file is
    written aside and renamed into place, so a process starting at the same moment reads
    either the old catalog or the new one, never half of one.

    Raises CatalogError when the .po can't be read, OSError when the .mo can't be written."""
    try:
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
    except (OSError, ValueError, UnknownLocaleError) as error:
        raise CatalogError(f"Can't read the translation catalog {po}: {error}") from error
    mo.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the server may be another user
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
