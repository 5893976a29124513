"""The mediation agreement (调解协议书) as a Chinese A4 PDF.

The text is set in Noto Sans CJK SC, embedded (subset) so that the document prints the same
everywhere. The font is not shipped with Shanzhi: it comes from the system's package
(Debian/Ubuntu ``fonts-noto-cjk``), found at ``SHANZHI_CJK_FONT`` or in the usual places.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from shanzhi.core import idnumbers
from shanzhi.disputes.models import Agreement, Side

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
]
SIDES = {Side.APPLICANT: "申请人", Side.RESPONDENT: "被申请人", Side.OTHER: "当事人"}


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
    raise ImproperlyConfigured("no CJK font for printing agreements: install fonts-noto-cjk or set SHANZHI_CJK_FONT")


CACHE_SECONDS = 24 * 3600


def agreement_pdf(agreement: Agreement) -> bytes:
    """The agreement laid out as the usual 人民调解协议书: number, parties, facts, terms,
    performance, the legal effect, signatures and the committee.

    Setting a CJK font takes a second or two, and an agreement is printed again and again
    (for each party, for the file): the document is kept in the cache under a digest of
    everything it shows, so a changed draft is never served from an older print."""
    dispute = agreement.dispute
    shown = [agreement.pk, agreement.status, agreement.facts, agreement.terms, agreement.performance,
             agreement.parties, agreement.mediators, agreement.committee, str(agreement.signed_on or ""),
             agreement.signatories, dispute.type.name if dispute.type else "",
             str(timezone.localdate().year) if agreement.signed_on is None else ""]
    digest = hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    key = f"disputes:agreement-pdf:{digest}"
    content = cache.get(key)
    if content is None:
        content = _render(agreement)
        cache.set(key, content, CACHE_SECONDS)
    return content


def _render(agreement: Agreement) -> bytes:
    from fpdf import FPDF

    path, index = cjk_font()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_title("人民调解协议书")
    pdf.set_creator("Shanzhi")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 12, align: str = "L", gap: float = 2) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, size * 0.6, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    dispute = agreement.dispute
    line("人民调解协议书", size=20, align="C", gap=4)
    year = (agreement.signed_on or timezone.localdate()).year
    line(f"〔{year}〕调字第 {agreement.pk} 号", size=11, align="R", gap=4)
    for p in agreement.parties:
        detail = [p["name"]]
        if p.get("id_number"):
            detail.append(f"身份证号:{idnumbers.mask_id(p['id_number'])}")
        if p.get("phone"):
            detail.append(f"电话:{idnumbers.mask_phone(p['phone'])}")
        if p.get("address"):
            detail.append(f"住址:{p['address']}")
        line(f"{SIDES.get(p['side'], '当事人')}:" + ",".join(detail), gap=1)
    pdf.ln(3)
    line(f"纠纷类型:{dispute.type.name if dispute.type else ''}", gap=3)
    line("纠纷主要事实、争议事项:", size=13, gap=1)
    line(agreement.facts, gap=3)
    line("经调解,自愿达成如下协议:", size=13, gap=1)
    line(agreement.terms, gap=3)
    if agreement.performance:
        line("履行方式、时限:", size=13, gap=1)
        line(agreement.performance, gap=3)
    line("本协议经双方当事人签名(盖章或按指印)、人民调解员签名并加盖人民调解委员会印章后生效。"
         "本协议具有法律约束力,当事人应当按照约定履行。双方当事人可以自本协议生效之日起三十日内"
         "共同向人民法院申请司法确认。本协议一式三份,双方当事人、人民调解委员会各持一份。", size=11, gap=6)
    names = agreement.signatories or [p["name"] for p in agreement.parties]
    line("当事人(签名):" + "    ".join(names), gap=3)
    line("人民调解员(签名):" + "    ".join(agreement.mediators), gap=6)
    line(agreement.committee, align="R", gap=1)
    signed = agreement.signed_on.strftime("%Y年%m月%d日") if agreement.signed_on else "    年  月  日"
    line(signed, align="R", gap=1)
    if agreement.status == Agreement.Status.DRAFT:
        line("(草稿,未签署)", size=10, align="C")
    elif agreement.status == Agreement.Status.SUPERSEDED:
        line("(本协议已被新协议取代)", size=10, align="C")
    out: Any = pdf.output()
    return bytes(out)
