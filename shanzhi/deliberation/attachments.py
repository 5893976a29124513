"""Notice attachments, checked by what they contain rather than by their names.

A board takes PDF, JPEG, PNG, Excel (.xlsx) and Word (.docx) files of at most 10 MB. The
kind is read from the file's first bytes (and, for the Office formats, from the parts inside
the zip); a file whose name says one kind and whose content is another is refused, as is
a PDF that carries JavaScript or embedded files. The stored name is the content's SHA-256,
so nothing a user typed reaches the file system.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from shanzhi.core import uploads
from shanzhi.core.errors import ValidationError
from shanzhi.deliberation.models import AttachmentKind

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_NOTICE = 10

EXTENSIONS: dict[str, set[str]] = {
    AttachmentKind.PDF: {".pdf"},
    AttachmentKind.JPEG: {".jpg", ".jpeg"},
    AttachmentKind.PNG: {".png"},
    AttachmentKind.XLSX: {".xlsx"},
    AttachmentKind.DOCX: {".docx"},
}
CONTENT_TYPES: dict[str, str] = {
    AttachmentKind.PDF: "application/pdf",
    AttachmentKind.JPEG: "image/jpeg",
    AttachmentKind.PNG: "image/png",
    AttachmentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    AttachmentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
INLINE = {AttachmentKind.PDF, AttachmentKind.JPEG, AttachmentKind.PNG}
_KIND_OF = {"pdf": AttachmentKind.PDF, "jpeg": AttachmentKind.JPEG, "png": AttachmentKind.PNG,
            "xlsx": AttachmentKind.XLSX, "docx": AttachmentKind.DOCX}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def sniff(content: bytes) -> str | None:
    """The attachment kind the bytes are (the platform's content check, core/uploads.py)."""
    kind = uploads.sniff(content)
    return _KIND_OF.get(kind) if kind else None


def clean_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "file"
    stem, ext = os.path.splitext(name)
    return stem[: 120 - len(ext)] + ext.lower()


def check(upload: Any, *, field: str = "file") -> CheckedFile:
    """Read an uploaded file (Django's UploadedFile or (name, bytes)) and check it."""
    if isinstance(upload, tuple):
        name, content = upload
    else:
        name = getattr(upload, "name", "") or ""
        if getattr(upload, "size", 0) and upload.size > MAX_BYTES:
            raise ValidationError(_("A file has at most 10 MB."), field=field)
        content = upload.read(MAX_BYTES + 1)
    if not content:
        raise ValidationError(_("The file is empty."), field=field)
    if len(content) > MAX_BYTES:
        raise ValidationError(_("A file has at most 10 MB."), field=field)
    name = clean_name(name)
    kind = sniff(content)
    if kind is None:
        raise ValidationError(_("Only PDF, JPEG, PNG, Excel (.xlsx) and Word (.docx) files can be attached."),
                              field=field)
    ext = os.path.splitext(name)[1]
    if ext not in EXTENSIONS[AttachmentKind(kind)]:
        raise ValidationError(_("The file's name says “%(ext)s” but it contains %(kind)s.")
                              % {"ext": ext or _("no type"), "kind": AttachmentKind(kind).label}, field=field)
    if kind == AttachmentKind.PDF and uploads.PDF_ACTIVE.search(content):
        raise ValidationError(_("PDF files with scripts or embedded files are not accepted."), field=field)
    return CheckedFile(name=name, kind=kind, content=content, sha256=hashlib.sha256(content).hexdigest())
