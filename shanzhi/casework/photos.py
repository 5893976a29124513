"""Photos of a request, checked by what they contain, not by their name.

A file is taken only if Pillow recognises it as a JPEG, PNG or WebP image, it decodes its
header and verifies its structure, and it is within the size and pixel limits; the name the
phone gave it is ignored (the stored name is random, its extension the detected type's).
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings

from shanzhi.core.uploads import MAX_PIXELS, CheckedImage
from shanzhi.core.uploads import check_image as _check_image

__all__ = ["MAX_PIXELS", "CheckedImage", "check_image", "max_bytes"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "SHANZHI_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_image(upload: IO[bytes] | Any, *, field: str = "photos") -> CheckedImage:
    """Raise a ValidationError on ``field`` unless ``upload`` is an image we keep."""
    return _check_image(upload, field=field, max_bytes=max_bytes())
