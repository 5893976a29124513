"""Photos of a request, checked by what they contain, not by their name.

A file is taken only if Pillow recognises it as a JPEG, PNG or WebP image, it decodes its
header and verifies its structure, and it is within the size and pixel limits; the name the
phone gave it is ignored (the stored name is random, its extension the detected type's).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from shanzhi.core.errors import ValidationError

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; more is a decompression bomb


def max_bytes() -> int:
    return int(getattr(settings, "SHANZHI_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str
    size: int
    width: int
    height: int
    sha256: str


def check_image(upload: IO[bytes] | Any, *, field: str = "photos") -> CheckedImage:
    """Raise a ValidationError on ``field`` unless ``upload`` is an image we keep."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    limit = max_bytes()
    if size == 0:
        raise ValidationError(_("The file is empty."), field=field)
    if size > limit:
        raise ValidationError(_("A photo may be at most %(mb)d MB; this one is %(size).1f MB.")
                              % {"mb": limit // (1024 * 1024), "size": size / (1024 * 1024)}, field=field)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    not_image = _("The file is not a photo: send a JPEG, PNG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                kind = image.format
                width, height = image.size
                if kind not in FORMATS:
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
    content_type, extension = FORMATS[kind]
    return CheckedImage(content_type, extension, int(size), width, height, digest.hexdigest())
