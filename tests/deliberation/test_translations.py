"""The module's Chinese catalog: complete, compiled, and what a page really shows (Django
merges the apps' catalogs; an app listed earlier wins a clash)."""

from __future__ import annotations

from pathlib import Path

import polib
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "shanzhi" / "deliberation" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_the_catalog_is_complete_and_compiled():
    po = polib.pofile(str(PO / "django.po"))
    assert not [e.msgid for e in po.untranslated_entries()]
    assert not [e.msgid for e in po.fuzzy_entries()]
    assert po.metadata["Plural-Forms"].startswith("nplurals=1")
    mo = {e.msgid: e.msgstr or e.msgstr_plural for e in polib.mofile(str(PO / "django.mo"))}
    assert {e.msgid: e.msgstr or e.msgstr_plural for e in po if not e.obsolete} == mo


def test_pages_show_the_module_s_own_translation():
    differ = []
    with translation.override("zh-hans"):
        for entry in polib.pofile(str(PO / "django.po")):
            if entry.obsolete or entry.msgid_plural:
                continue
            shown = translation.gettext(entry.msgid)
            if shown != entry.msgstr:
                differ.append((entry.msgid, entry.msgstr, shown))
    assert not differ, differ
