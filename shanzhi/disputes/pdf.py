"""The mediation agreement (调解协议书) as a Chinese A4 PDF.

Set in the platform's Chinese A4 document (``core.pdf``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from shanzhi.core import idnumbers
from shanzhi.core.pdf import a4_document
from shanzhi.disputes.models import Agreement, Side

SIDES = {Side.APPLICANT: "申请人", Side.RESPONDENT: "被申请人", Side.OTHER: "当事人"}


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
    pdf = a4_document("人民调解协议书")
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
