"""The roster's pages: upload a file and read the report; download the roster, a blank
template, or the rejected rows of one's own import. Thin: the work is in ``services``."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shanzhi.core import access
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied
from shanzhi.regions.models import Region
from shanzhi.roster import services
from shanzhi.roster.forms import ExportForm, ImportForm
from shanzhi.roster.pages import may

REJECTS_KEPT = dt.timedelta(days=7)
REJECTS_NAME = re.compile(r"^(\d+)-[0-9a-f]{32}\.(xlsx|csv)$")
PROBLEMS_SHOWN = 200


def roster_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in, never cached (the pages hold personal data), domain errors answered as
    pages answer them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise HttpForbidden from None

    return login_required(never_cache(wrapper))


def rejects_folder() -> Path:
    folder = Path(settings.DATA_DIR) / "roster-rejects"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_rejects(folder: Path) -> None:
    limit = time.time() - REJECTS_KEPT.total_seconds()
    for path in folder.iterdir():
        if REJECTS_NAME.match(path.name) and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def export_places(viewer: access.Viewer) -> list[Region]:
    """The places whose roster the viewer may download: where they work, or the counties."""
    if viewer.is_admin:
        return list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    return list(Region.objects.filter(path__in=viewer.paths_for("household.export")).order_by("path"))


@roster_page
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    viewer = access.viewer_for(request.user)
    if not may(viewer, "household.change"):
        raise PermissionDenied()
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "places": export_places(viewer) if may(viewer, "household.export")
                               else [], "section": "roster"}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        mode = form.cleaned_data["mode"]
        rejects = None
        if mode == services.SKIP_INVALID:
            folder = rejects_folder()
            _forget_old_rejects(folder)
            kind = "csv" if upload.name.lower().endswith(".csv") else "xlsx"
            rejects = folder / f"{request.user.pk}-{uuid.uuid4().hex}.{kind}"
        try:
            report = services.roster_import(actor=request.user, viewer=viewer, source=upload.file,
                                            file_name=os.path.basename(upload.name)[:200], mode=mode,
                                            rejects_to=rejects)
        except DomainError as exc:
            if isinstance(exc, NotFound | PermissionDenied):
                raise
            context["error"] = exc.message
            status = 409 if exc.status == 409 else 422
        else:
            context["report"] = report
            context["problems"] = report.problems[:PROBLEMS_SHOWN]
            context["rejects_name"] = os.path.basename(report.rejects_path) if report.rejects_path else ""
            if report.rejected and mode != services.SKIP_INVALID:
                status = 422
    return render(request, "roster/import.html", context, status=status)


@roster_page
@require_GET
def rejects_download(request: HttpRequest, name: str) -> HttpResponseBase:
    match = REJECTS_NAME.match(name)
    # Only the person who imported may fetch their rejected rows (they hold full ID numbers).
    if not match or int(match.group(1)) != request.user.pk:
        raise Http404
    path = rejects_folder() / name
    if not path.is_file():
        raise Http404
    download = _("rejected-rows") + f"-{timezone.localdate():%Y%m%d}.{match.group(2)}"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=download)


@roster_page
@require_GET
def export_download(request: HttpRequest) -> HttpResponseBase:
    viewer = access.viewer_for(request.user)
    form = ExportForm(request.GET)
    if not form.is_valid():
        raise Http404
    region = None
    if form.cleaned_data["region"]:
        region = Region.objects.filter(code=form.cleaned_data["region"]).first()
        if region is None or not access.can(viewer, "region.view", region):
            raise Http404
    kind = form.cleaned_data["format"] or "xlsx"
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    try:
        services.roster_export(actor=request.user, viewer=viewer, target=target, kind=kind, region=region)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    label = region.code if region else _("all")
    filename = _("roster") + f"-{label}-{timezone.localdate():%Y%m%d}.{kind}"
    return FileResponse(target, as_attachment=True, filename=filename)


@roster_page
@require_GET
def template_download(request: HttpRequest) -> HttpResponseBase:
    viewer = access.viewer_for(request.user)
    if not may(viewer, "household.change"):
        raise PermissionDenied()
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    services.template_write(target=target, kind="xlsx")
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=_("roster-template") + ".xlsx")


