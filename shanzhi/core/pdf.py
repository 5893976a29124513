"""Chinese A4 documents (agreements, reports) as PDF, with fpdf2.

The text is set in Noto Sans CJK SC, embedded (subset) so that the document prints the same
everywhere. The font is not shipped with Shanzhi: it comes from the system's package
(Debian/Ubuntu ``fonts-noto-cjk``), found at ``SHANZHI_CJK_FONT`` or in the usual places.
"""

from __future__ import annotations

import functools
import glob
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
]
@functools.cache
def cjk_font() -> tuple[str, int]:
    """The font file and, in a collection, the index of its Simplified Chinese face."""
    configured = getattr(settings, "SHANZHI_CJK_FONT", "")
    paths = [configured] if configured else FONT_CANDIDATES + sorted(glob.glob("/usr/share/fonts/**/*CJK*SC*.otf",
                                                                               recursive=True))
    for path in paths:
        try:
            with open(path, "rb"):
                pass
        except OSError:
            continue
        if not path.lower().endswith(".ttc"):
            return path, 0
        from fontTools.ttLib import TTCollection

        collection = TTCollection(path, lazy=True)
        for i, font in enumerate(collection.fonts):
            name = font["name"].getDebugName(4) or ""
            if name.endswith(" SC") or "SC " in name:
                return path, i
        return path, 0
    raise ImproperlyConfigured("no CJK font for printing: install fonts-noto-cjk or set SHANZHI_CJK_FONT")



def a4_document(title: str, margin: float = 25) -> Any:
    """An A4 ``FPDF`` with its first page, the CJK font added as ``"cjk"``."""
    from fpdf import FPDF

    path, index = cjk_font()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(auto=True, margin=margin)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_title(title)
    pdf.set_creator("Shanzhi")
    pdf.add_page()
    return pdf
