"""Uploaded files: checked by what they contain, and served so a browser never runs them.

One mechanism for every module (ADR 0009). The kind of a file is read from its bytes
(magic numbers; for images Pillow also decodes the header and verifies the structure; for
the Office formats the parts inside the zip), never from its name or the Content-Type the
client sent. Only the kinds below are ever taken, so HTML, SVG and scripts cannot be
stored, and ``file_response`` serves a file with its checked type, ``nosniff``, a
Content-Disposition (inline only for images and PDF, a download for anything else) and a
sandboxing Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from shanzhi.core.errors import ValidationError

# kind -> (content type, extension, shown in the browser rather than downloaded)
KINDS: dict[str, tuple[str, str, bool]] = {
    "jpeg": ("image/jpeg", "jpg", True),
    "png": ("image/png", "png", True),
    "webp": ("image/webp", "webp", True),
    "pdf": ("application/pdf", "pdf", True),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", False),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", False),
}
IMAGE_KINDS = frozenset({"jpeg", "png", "webp"})
INLINE_TYPES = frozenset(ctype for ctype, _ext, inline in KINDS.values() if inline)
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; more is a decompression bomb
_PIL_KINDS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|EmbeddedFile|Launch)\b")
# What a served file may do: nothing (no scripts, no plugins, no requests, no framing).
FILE_CSP = "sandbox; default-src 'none'"


def sniff(content: bytes) -> str | None:
    """The kind the bytes really are (a key of KINDS), from their first bytes, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                parts = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in parts:
            if "xl/workbook.xml" in parts:
                return "xlsx"
            if "word/document.xml" in parts:
                return "docx"
    return None


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str
    size: int
    width: int
    height: int
    sha256: str

    @property
    def kind(self) -> str:
        return self.extension if self.extension != "jpg" else "jpeg"


def check_image(upload: IO[bytes] | Any, *, field: str, max_bytes: int, kinds: frozenset[str] = IMAGE_KINDS,
                not_image: str | None = None) -> CheckedImage:
    """Raise a ValidationError on ``field`` unless ``upload`` (a file object; it is left at
    its start) is a whole image of one of ``kinds`` within the size and pixel limits."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if not size:
        raise ValidationError(_("The file is empty."), field=field)
    if size > max_bytes:
        raise ValidationError(_("A photo may be at most %(mb)d MB; this one is %(size).1f MB.")
                              % {"mb": max_bytes // (1024 * 1024), "size": size / (1024 * 1024)}, field=field)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    not_image = not_image or _("The file is not a photo: send a JPEG, PNG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                kind = _PIL_KINDS.get(image.format or "")
                width, height = image.size
                if kind not in kinds:
                    raise ValidationError(not_image, field=field)
                if width * height > MAX_PIXELS:
                    raise ValidationError(_("The photo has too many pixels."), field=field)
                image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(not_image, field=field) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("The photo is damaged or incomplete."), field=field) from None
    finally:
        upload.seek(0)
    content_type, extension, _inline = KINDS[kind]
    return CheckedImage(content_type, extension, int(size), width, height, digest.hexdigest())


def file_response(content: bytes | IO[bytes], *, content_type: str, filename: str = "",
                  cache: str = "private, max-age=3600") -> HttpResponse | Any:
    """A stored upload as a response: only the checked kinds keep their type (anything else
    is an opaque download), images and PDF are shown inline, everything else downloads,
    and the browser may neither guess another type nor run anything in it."""
    from django.http import FileResponse

    if content_type not in {ctype for ctype, _ext, _inline in KINDS.values()}:
        content_type = "application/octet-stream"
    response: HttpResponse | FileResponse
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    if filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    if cache:
        response["Cache-Control"] = cache
    return response
