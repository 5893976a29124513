"""The Chinese catalogs: complete, compiled, and what a user actually reads.

Django merges every app's catalog into one per language (apps listed first win a clash),
so these tests check the translation a page really gets, not only the .po file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2] / "shanzhi"
# The apps whose every string must have a Chinese translation.
COMPLETE_APPS = ["core", "regions", "people", "web"]
ALL_CATALOGS = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po"))


def _po(app: str) -> polib.POFile:
    return polib.pofile(str(ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def _catalog(entries) -> dict[tuple[str | None, str], object]:
    out: dict[tuple[str | None, str], object] = {}
    for entry in entries:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if any(forms):
                out[(entry.msgctxt, entry.msgid)] = forms
        elif entry.msgstr:
            out[(entry.msgctxt, entry.msgid)] = entry.msgstr
    return out


def test_there_are_catalogs():
    apps = {path.parts[-5] for path in ALL_CATALOGS}
    assert set(COMPLETE_APPS) <= apps


@pytest.mark.parametrize("po_path", ALL_CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_po_has_a_fresh_mo(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run compilemessages"
    compiled = _catalog(polib.pofile(str(po_path)))
    shipped = _catalog(polib.mofile(str(mo_path)))
    stale = {key for key in compiled.keys() | shipped.keys() if compiled.get(key) != shipped.get(key)}
    assert not stale, f"{mo_path.name} differs from its .po (run compilemessages): {sorted(stale)[:5]}"


@pytest.mark.parametrize("app", COMPLETE_APPS)
def test_no_untranslated_or_fuzzy_entries(app):
    po = _po(app)
    assert not [e.msgid for e in po.untranslated_entries()]
    assert not [e.msgid for e in po.fuzzy_entries()]
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1")


@pytest.mark.parametrize("app", COMPLETE_APPS)
def test_pages_show_the_translation_in_the_po(app):
    """A string another catalog also translates (Django's admin, another of our apps) is
    shown with that catalog's text if it comes first; it must then say the same."""
    differ = []
    with translation.override("zh-hans"):
        for entry in _po(app):
            if entry.obsolete or not entry.msgid:
                continue
            if entry.msgid_plural:
                shown = (translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                         if entry.msgctxt else translation.ngettext(entry.msgid, entry.msgid_plural, 1))
                wanted = entry.msgstr_plural[0]
            else:
                shown = (translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                         else translation.gettext(entry.msgid))
                wanted = entry.msgstr
            if shown != wanted:
                differ.append((entry.msgid, wanted, shown))
    assert not differ, differ


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
@pytest.mark.parametrize("app", COMPLETE_APPS)
def test_po_holds_every_string_of_the_source(app, tmp_path):
    """Extract the app's strings afresh (makemessages in a copy) and compare: a string
    added to the code without a translation fails here, not in front of a user."""
    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # -P: the copy holds a selectors.py, which must not shadow the standard library's.
    django_admin = [sys.executable, "-P", "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete"]
    subprocess.run(django_admin, cwd=copy, env=env, check=True, capture_output=True)
    fresh = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    in_source = {(e.msgctxt, e.msgid) for e in fresh if not e.obsolete}
    in_catalog = {(e.msgctxt, e.msgid) for e in _po(app) if not e.obsolete}
    assert not in_source - in_catalog, f"run makemessages in shanzhi/{app}: {sorted(in_source - in_catalog)[:5]}"
