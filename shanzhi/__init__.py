"""Shanzhi (善治): Party-led grassroots governance for a Chinese county."""

from .celery import app as celery_app

__all__ = ["celery_app"]
