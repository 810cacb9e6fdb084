"""Both languages are complete: every user-facing string has a Chinese and an English
translation, the compiled .mo files match the .po files, and no string in the code is
missing from the catalogues."""

import os
import shutil

import polib
import pytest

from logistics.catalogues import (
    LANGUAGES,
    LOCALE_DIR,
    ROOT,
    catalogue_paths,
    extract,
    translations,
    untranslated,
)


def test_both_catalogues_exist():
    found = {language for language, _ in catalogue_paths()}
    assert found == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    missing = untranslated(polib.pofile(str(path)))
    assert missing == [], f"{len(missing)} strings lack a {language} translation"


def test_chinese_translations_are_chinese():
    """Catches a catalogue filled by copying the English source across."""
    po = polib.pofile(str(LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    copied = [
        e.msgid
        for e in po
        if e.msgstr == e.msgid and any(c.isalpha() for c in e.msgid) and e.msgid not in {"API"}
    ]
    assert copied == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po = translations(polib.pofile(str(folder / "django.po")))
    mo = translations(polib.mofile(str(folder / "django.mo")))
    assert mo == po, "run `make messages` (compilemessages) and commit the .mo"


def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("GNU gettext (xgettext) is needed in CI: apt-get install gettext")
        pytest.skip("needs GNU gettext's xgettext: apt-get install gettext")
    # Extract afresh from a copy of the code, so the committed catalogue stays untouched.
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("manage.py", "logistics", "apartments", "maintenance", "dining", "quality"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / name)
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(ROOT / "locale", copy / "locale")
    extract(copy)

    def msgids(path):
        return {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}

    fresh = msgids(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    committed = msgids(LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po")
    new = sorted(fresh - committed, key=lambda key: (key[0] or "", key[1]))
    assert new == [], "new strings: run `make messages` and translate"
    gone = sorted(committed - fresh, key=lambda key: (key[0] or "", key[1]))
    assert gone == [], "strings no longer used: run `make messages`"
