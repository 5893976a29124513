"""A visit's (or a fulfilled wish's) photo and location, checked before they are kept.

The content check is the request loop's (``casework.photos.check_image``: a real JPEG, PNG or
WebP, whole, within the size and pixel limits). On top of it, the place: where the phone says
the photo was taken (its EXIF GPS, when it has one) and the location sent with the visit must
agree with each other and lie near the household's village, so a visit cannot be logged
from a photo taken elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import File
from django.utils.translation import gettext as _
from PIL import Image

from shanzhi.casework.photos import CheckedImage, check_image
from shanzhi.core.errors import ValidationError

# How far from the village's recorded centre a visit may be logged (a rural village spreads
# over a few kilometres), and how far the photo's own GPS may lie from the sent location.
MAX_FROM_VILLAGE_M = 8000
MAX_PHOTO_FROM_LOCATION_M = 1000
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Place:
    """What was checked: the photo's content (None without a photo) and the location."""

    image: CheckedImage | None
    latitude: Decimal | None
    longitude: Decimal | None


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _rational(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def photo_gps(upload: Any) -> tuple[Decimal, Decimal] | None:
    """The latitude and longitude in a photo's EXIF, if it carries them."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:
        return None
    finally:
        upload.seek(0)
    try:
        lat_ref, lat, lng_ref, lng = gps[1], gps[2], gps[3], gps[4]
        latitude = sum(_rational(v) / 60 ** i for i, v in enumerate(lat))
        longitude = sum(_rational(v) / 60 ** i for i, v in enumerate(lng))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if str(lat_ref).upper().startswith("S"):
        latitude = -latitude
    if str(lng_ref).upper().startswith("W"):
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Decimal(f"{latitude:.6f}"), Decimal(f"{longitude:.6f}")


def clean_location(latitude: Any, longitude: Any) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        raise ValidationError(_("Give both latitude and longitude, or neither."), field="longitude")
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."), field="latitude") from None
    if not -90 <= lat <= 90:
        raise ValidationError(_("A latitude lies between -90 and 90."), field="latitude")
    if not -180 <= lng <= 180:
        raise ValidationError(_("A longitude lies between -180 and 180."), field="longitude")
    return lat, lng


def check_place(*, latitude: Any, longitude: Any, photo: Any, village: Any, photo_field: str = "photo") -> Place:
    """Check the photo (if any) and the location against each other and the village; a
    photo with GPS and no location sent gives the location."""
    lat, lng = clean_location(latitude, longitude)
    checked = None
    if photo is not None:
        checked = check_image(photo, field=photo_field)
        gps = photo_gps(photo)
        if gps is not None:
            if lat is None or lng is None:
                lat, lng = gps
            elif distance_m(float(lat), float(lng), float(gps[0]), float(gps[1])) > MAX_PHOTO_FROM_LOCATION_M:
                raise ValidationError(_("The photo was taken somewhere else than the location sent with it."),
                                      field=photo_field)
    if lat is not None and lng is not None and village is not None and village.latitude is not None \
            and village.longitude is not None:
        far = distance_m(float(lat), float(lng), float(village.latitude), float(village.longitude))
        if far > MAX_FROM_VILLAGE_M:
            raise ValidationError(_("The location is %(km).1f km from %(village)s; log the visit where it took place.")
                                  % {"km": far / 1000, "village": village.name}, field="latitude")
    return Place(checked, lat, lng)


def save_photo(field: Any, upload: Any, checked: CheckedImage) -> None:
    """Store under a random name with the detected type's extension (never the phone's name)."""
    import secrets

    upload.seek(0)
    field.save(f"{secrets.token_hex(12)}.{checked.extension}", File(upload), save=False)
