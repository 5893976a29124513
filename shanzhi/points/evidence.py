"""Evidence photos: checked by their content, not by their name or the type the browser
claims (the platform's upload check, core/uploads.py): a whole JPEG, PNG or WebP of at
most 8 MB."""

from __future__ import annotations

import secrets

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from shanzhi.core.uploads import check_image

MAX_BYTES = 8 * 1024 * 1024


def check_photo(upload: UploadedFile) -> str:
    checked = check_image(upload, field="evidence", max_bytes=MAX_BYTES,
                          not_image=_("This file is not a photo (JPEG, PNG or WebP)."))
    upload.content_type = checked.content_type
    upload._shanzhi_kind = checked.kind  # type: ignore[attr-defined]
    return checked.kind


def safe_name(upload: UploadedFile) -> str:
    """A stored name that owes nothing to the uploaded one."""
    kind = getattr(upload, "_shanzhi_kind", None) or check_photo(upload)
    ext = {"jpeg": "jpg", "png": "png", "webp": "webp"}[kind]
    return f"{secrets.token_hex(12)}.{ext}"
