"""Evidence photos: checked by their content, not by their name or the type the browser
claims. A JPEG, PNG or WebP of at most 8 MB whose structure is whole."""

from __future__ import annotations

import secrets
import struct

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from shanzhi.core.errors import ValidationError

MAX_BYTES = 8 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    """The image format the bytes really are (jpeg, png, webp), or None."""
    if data[:3] == b"\xff\xd8\xff" and data.rstrip(b"\x00")[-2:] == b"\xff\xd9":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and b"IEND" in data[-16:]:
        width, height = struct.unpack(">II", data[16:24])
        return "png" if width and height else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and struct.unpack("<I", data[4:8])[0] + 8 <= len(data) + 1:
        return "webp"
    return None


def check_photo(upload: UploadedFile) -> str:
    size = upload.size or 0
    if size > MAX_BYTES:
        raise ValidationError(_("A photo is at most 8 MB."), field="evidence")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = sniff(data) if data else None
    if kind is None:
        raise ValidationError(_("This file is not a photo (JPEG, PNG or WebP)."), field="evidence")
    upload.content_type = f"image/{kind}"
    upload._shanzhi_kind = kind  # type: ignore[attr-defined]
    return kind


def safe_name(upload: UploadedFile) -> str:
    """A stored name that owes nothing to the uploaded one."""
    kind = getattr(upload, "_shanzhi_kind", None) or check_photo(upload)
    ext = {"jpeg": "jpg", "png": "png", "webp": "webp"}[kind]
    return f"{secrets.token_hex(12)}.{ext}"
