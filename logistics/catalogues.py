"""The translation catalogues under locale/: checks the tests run, and the step of
`make messages` that fills the English catalogue from the (English) source strings.

Needs polib, a development dependency: used by `make messages` and the tests only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
# What is scanned for strings: the apps and templates, not tests, benchmarks or vendored code.
MAKEMESSAGES_ARGS = [
    "makemessages",
    "--no-obsolete",
    "--no-location",
    "--ignore=.venv/*",
    "--ignore=bench/*",
    "--ignore=tests/*",
    "--ignore=static/*",
    "--ignore=staticfiles/*",
    "--ignore=docs/*",
]
LANGUAGES = ("zh_Hans", "en")
DOMAINS = ("django", "djangojs")


def catalogue_paths(locale_dir: Path = LOCALE_DIR):
    for language in LANGUAGES:
        for domain in DOMAINS:
            po = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                yield language, po


def untranslated(po: polib.POFile) -> list[str]:
    """msgids with no translation, or only a fuzzy (unconfirmed) one."""
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            missing.append(entry.msgid)
        elif entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                missing.append(entry.msgid)
        elif not entry.msgstr:
            missing.append(entry.msgid)
    return missing


def translations(catalogue) -> dict[tuple[str, str], object]:
    """(msgctxt, msgid) → msgstr (or the plural forms), for comparing a .po with its .mo."""
    result = {}
    for entry in catalogue:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        key = (entry.msgctxt or "", entry.msgid)
        if entry.msgid_plural:
            result[key] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            result[key] = entry.msgstr
    return result


def fill_english(locale_dir: Path = LOCALE_DIR) -> int:
    """Source strings are English: the English catalogue translates each to itself."""
    filled = 0
    for domain in DOMAINS:
        path = locale_dir / "en" / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        po = polib.pofile(str(path), wrapwidth=0)
        for entry in po:
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
                entry.previous_msgid = entry.previous_msgid_plural = None
                entry.previous_msgctxt = None  # msgfmt refuses a "#| msgctxt" left behind
            if entry.msgid_plural:
                if not all(entry.msgstr_plural.values()):
                    entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                    filled += 1
            elif not entry.msgstr:
                entry.msgstr = entry.msgid
                filled += 1
        po.save()
    return filled


def extract(root: Path = ROOT) -> None:
    """Re-extract every catalogue of the project at `root` (needs GNU gettext's xgettext)."""
    languages = [arg for language in LANGUAGES for arg in ("-l", language)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "logistics.settings"}
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *MAKEMESSAGES_ARGS, *languages],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        extract()
        print(f"filled {fill_english()} English entries")
    elif sys.argv[1:] == ["fill-english"]:
        print(f"filled {fill_english()} English entries")
    elif sys.argv[1:] == ["missing"]:
        for language, path in catalogue_paths():
            for msgid in untranslated(polib.pofile(str(path))):
                print(f"{language}\t{path.name}\t{msgid!r}")
    else:
        sys.exit("usage: python -m logistics.catalogues update|fill-english|missing")
