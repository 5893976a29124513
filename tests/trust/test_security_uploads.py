"""Uploads are checked by what they contain and served so that a browser never runs them
(core/uploads.py, the one mechanism every module uses; ADR 0009)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

import shanzhi
from shanzhi.core import uploads
from shanzhi.core.errors import ValidationError


def image_bytes(fmt: str, size: tuple[int, int] = (4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def office(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return out.getvalue()


HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.parametrize(("content", "kind"), [
    (image_bytes("JPEG"), "jpeg"), (image_bytes("PNG"), "png"), (image_bytes("WEBP"), "webp"),
    (b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n", "pdf"),
    (office("xl/workbook.xml"), "xlsx"), (office("word/document.xml"), "docx"),
    (HTML, None), (SVG, None), (b"GIF89a...", None), (b"PK\x03\x04broken zip", None), (b"", None),
])
def test_the_kind_comes_from_the_bytes(content, kind):
    assert uploads.sniff(content) == kind


@pytest.mark.parametrize(("name", "content", "claimed"), [
    ("photo.jpg", HTML, "image/jpeg"),  # HTML with a photo's name and type
    ("photo.png", SVG, "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + HTML, "image/jpeg"),  # a JPEG's first bytes, then a page
    ("photo.png", image_bytes("PNG")[:40], "image/png"),  # cut short
    ("scan.pdf", b"%PDF-1.4 not an image", "image/png"),
])
def test_a_disguised_or_broken_file_is_not_taken_as_a_photo(name, content, claimed):
    with pytest.raises(ValidationError) as caught:
        uploads.check_image(SimpleUploadedFile(name, content, content_type=claimed), field="photo",
                            max_bytes=1024 * 1024)
    assert "photo" in caught.value.fields


def test_a_real_photo_is_taken_whatever_its_name_and_claimed_type():
    upload = SimpleUploadedFile("IMG_0001.txt", image_bytes("JPEG", (40, 30)), content_type="text/html")
    checked = uploads.check_image(upload, field="photo", max_bytes=1024 * 1024)
    assert (checked.content_type, checked.extension, checked.width, checked.height) == ("image/jpeg", "jpg", 40, 30)
    assert upload.tell() == 0  # left at its start, ready to be stored


def test_size_kinds_and_pixel_bombs_are_limited():
    png = image_bytes("PNG")
    with pytest.raises(ValidationError):
        uploads.check_image(SimpleUploadedFile("a.png", png), field="f", max_bytes=len(png) - 1)
    with pytest.raises(ValidationError):
        uploads.check_image(SimpleUploadedFile("a.png", png), field="f", max_bytes=10**6, kinds=frozenset({"jpeg"}))
    bomb = image_bytes("PNG", (10_000, 6_000))  # 60 megapixels of one colour: small file, huge image
    with pytest.raises(ValidationError) as caught:
        uploads.check_image(SimpleUploadedFile("bomb.png", bomb), field="f", max_bytes=10**7)
    assert "f" in caught.value.fields


@pytest.mark.parametrize(("claimed", "served", "disposition"), [
    ("image/png", "image/png", "inline"),
    ("application/pdf", "application/pdf", "inline"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
    ("text/html", "application/octet-stream", "attachment"),
    ("image/svg+xml", "application/octet-stream", "attachment"),
    ("", "application/octet-stream", "attachment"),
])
def test_files_are_served_with_their_checked_type_and_never_run(claimed, served, disposition):
    response = uploads.file_response(b"...", content_type=claimed, filename="村务公开 2026.pdf")
    assert response["Content-Type"] == served
    assert response["Content-Disposition"].startswith(disposition + "; filename*=UTF-8''")
    assert "%E6%9D%91" in response["Content-Disposition"]  # the name, encoded
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == uploads.FILE_CSP


def test_the_sites_headers_do_not_loosen_a_served_file():
    """SecurityHeadersMiddleware adds the page CSP only where a response has none, so a served
    upload keeps its sandbox."""
    from django.test import RequestFactory

    from shanzhi.core.security import SecurityHeadersMiddleware

    middleware = SecurityHeadersMiddleware(lambda request: uploads.file_response(b"x", content_type="image/png"))
    response = middleware(RequestFactory().get("/x"))
    assert response["Content-Security-Policy"] == uploads.FILE_CSP
    page = SecurityHeadersMiddleware(lambda request: __import__("django.http").http.HttpResponse("<p>hi</p>"))
    assert "script-src 'self'" in page(RequestFactory().get("/"))["Content-Security-Policy"]


def test_the_deliberation_board_refuses_a_disguised_attachment():
    from shanzhi.deliberation import attachments

    with pytest.raises(ValidationError):
        attachments.check(("通知.pdf", HTML))
    with pytest.raises(ValidationError):
        attachments.check(("通知.pdf", b"%PDF-1.4\n/JS (app.alert(1))\n%%EOF"))
    with pytest.raises(ValidationError):  # a real PNG named as a PDF
        attachments.check(("通知.pdf", image_bytes("PNG")))
    assert attachments.check(("村规.png", image_bytes("PNG"))).kind == "png"


def test_points_evidence_and_dispute_scans_use_the_same_check():
    from shanzhi.disputes.services import check_scan
    from shanzhi.points.evidence import check_photo

    with pytest.raises(ValidationError) as caught:
        check_photo(SimpleUploadedFile("evidence.jpg", HTML, content_type="image/jpeg"))
    assert "evidence" in caught.value.fields
    assert check_photo(SimpleUploadedFile("x.bin", image_bytes("WEBP"))) == "webp"
    with pytest.raises(ValidationError):
        check_scan(SimpleUploadedFile("scan.png", SVG, content_type="image/png"))
    with pytest.raises(ValidationError):
        check_scan(SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n/JavaScript (x)\n%%EOF"))
    assert check_scan(SimpleUploadedFile("scan", image_bytes("PNG")))[1:] == ("image/png", "png")


def test_no_module_reads_file_kinds_by_itself():
    """Magic numbers live in core/uploads.py only: a module that needs a kind of file asks it."""
    root = Path(shanzhi.__file__).parent
    magic = re.compile(r"""b["'](%PDF-|\\xff\\xd8\\xff|\\x89PNG|RIFF)""")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "uploads.py" and magic.search(p.read_text())]
    assert not offenders
