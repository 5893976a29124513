"""The command centre's pages: the dashboard with drill-down and trends, the lists behind
its numbers, the map, the wall screen (and its JSON), the alerts and the Excel report.
Views parse and render; selectors and services decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.command import charts, reports, selectors, services
from shanzhi.command.models import Rule
from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, ValidationError
from shanzhi.core.roles import GOVERNMENT
from shanzhi.regions.selectors import breadcrumbs
from shanzhi.web.pages import page_view, paginate, viewer_of


def _place(request: HttpRequest) -> tuple[access.Viewer, Any, selectors.Period]:
    viewer = viewer_of(request)
    # A named place first: out of scope is "not found" for everyone, as on every page.
    region = selectors.region_for(viewer, request.GET.get("region"))
    access.require_any_role(viewer, "command.dashboard")
    key = request.GET.get("period") or "month"
    per = selectors.period(key if key in selectors.PERIODS else "month")
    return viewer, region, per


@page_view
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer, region, per = _place(request)
    unit = request.GET.get("unit") or "month"
    unit = unit if unit in selectors.TRENDS else "month"
    board = selectors.dashboard(viewer, region, per)
    series = selectors.trend(viewer, region, unit)
    return render(request, "command/dashboard.html", {
        "d": board, "rows": selectors.children(viewer, region, per), "trend": series,
        "chart": charts.lines(series.labels, [
            (_("requests"), series.requests, "#1565c0"), (_("requests a year earlier"), series.requests_last_year,
                                                            "#90caf9"),
            (_("disputes"), series.disputes, "#c62828"), (_("disputes a year earlier"), series.disputes_last_year,
                                                          "#ef9a9a")]),
        "crumbs": [c for c in breadcrumbs(region) if access.can(viewer, "command.dashboard", c)],
        "periods": [("today", _("today")), ("week", _("this week")), ("month", _("this month")),
                    ("quarter", _("this quarter")), ("year", _("this year"))],
        "units": [("day", _("by day")), ("week", _("by week")), ("month", _("by month"))], "unit": unit,
        "section": "command"})


def _wall_data(viewer: access.Viewer, region: Any, per: selectors.Period) -> dict[str, Any]:
    d = selectors.dashboard(viewer, region, per)
    rn, r, dn, ds = d.requests_now, d.requests, d.disputes_now, d.disputes
    return {
        "region": region.name, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "requests_today": d.requests_today, "requests_open": rn.open if rn else None,
        "requests_overdue": rn.overdue if rn else None,
        "on_time_rate": r.resolved_on_time_rate if r else None, "satisfaction": r.satisfaction if r else None,
        "disputes_open": dn.open if dn else None, "success_rate": ds.success_rate if ds else None,
        "visited_30_days": d.contact.households_visited_30_days if d.contact else None,
        "open_alerts": d.open_alerts,
    }


@page_view
def wall(request: HttpRequest) -> HttpResponse:
    viewer, region, per = _place(request)
    series = selectors.trend(viewer, region, "day")
    return render(request, "command/wall.html", {
        "w": _wall_data(viewer, region, per), "region": region,
        "json_url": reverse("command:wall_json") + f"?region={region.code}",
        "chart": charts.bars(series.labels, series.requests, "#1565c0"),
        "map": selectors.map_points(viewer, region), "section": "command"})


@page_view
def wall_json(request: HttpRequest) -> HttpResponse:
    viewer, region, per = _place(request)
    return JsonResponse(_wall_data(viewer, region, per))


@page_view
def figure_list(request: HttpRequest, figure: str) -> HttpResponse:
    viewer, region, per = _place(request)
    if figure not in selectors.LISTS:
        raise ValidationError(_("Unknown list: %(name)s") % {"name": figure[:32]}, field="figure")
    rows = paginate(request, selectors.listing(viewer, figure, region, per))
    return render(request, "command/list.html", {
        "figure": figure, "page": rows, "region": region, "period": per, "section": "command",
        "kind": figure.split("_", 1)[0]})


@page_view
def region_map(request: HttpRequest) -> HttpResponse:
    viewer, region, _per = _place(request)
    return render(request, "command/map.html", {"region": region, "points": selectors.map_points(viewer, region),
                                                "section": "command"})


def _report_period(request: HttpRequest) -> tuple[Any, Any, Any, bool]:
    viewer = viewer_of(request)
    region = selectors.region_for(viewer, request.GET.get("region"))
    access.require_any_role(viewer, "command.dashboard")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        month = int(request.GET.get("month") or today.month)
    except ValueError:
        raise ValidationError(_("Name a month between 2000 and 2100."), field="month") from None
    months = 3 if request.GET.get("span") == "quarter" else 1
    if months == 3:
        month = (month - 1) // 3 * 3 + 1
    return viewer, region, selectors.month_period(year, month, months), months == 3


def _report_name(region: Any, per: selectors.Period, quarter: bool) -> str:
    return f"command-{region.code}-{per.key}{'-Q' if quarter else ''}"


@page_view
def report_xlsx(request: HttpRequest) -> HttpResponse:
    viewer, region, per, quarter = _report_period(request)
    body = reports.workbook(viewer, region, per, quarter=quarter)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_report_name(region, per, quarter)}.xlsx"'
    return response


@page_view
def report_pdf(request: HttpRequest) -> HttpResponse:
    viewer, region, per, quarter = _report_period(request)
    response = HttpResponse(reports.pdf(viewer, region, per, quarter=quarter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_report_name(region, per, quarter)}.pdf"'
    return response


@page_view
def alert_list(request: HttpRequest) -> HttpResponse:
    viewer, region, _per = _place(request)
    state = request.GET.get("state", "open")
    rule = request.GET.get("rule", "")
    if rule not in Rule.values:
        rule = ""
    if state not in ("open", "closed", ""):
        state = "open"
    rows = paginate(request, selectors.alerts(viewer, region=region, state=state, rule=rule))
    return render(request, "command/alerts.html", {
        "page": rows, "region": region, "state": state, "rule": rule, "rules": Rule.choices, "section": "command"})


@page_view
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    alert = selectors.alert_get(viewer, pk)
    from shanzhi.core import workflow

    handlers = _handlers(alert)
    return render(request, "command/alert.html", {
        "alert": alert, "history": workflow.history_in_words(alert), "handlers": handlers,
        "may_handle": access.can(viewer, "alert.handle", alert),
        "steps": [t.name for t in workflow.allowed_transitions(alert, viewer)], "section": "command"})


def _handlers(alert: Any) -> list[Any]:
    """Who the alert may be given to: government staff at its place or above."""
    from shanzhi.people.models import Position, User

    ids = (Position.objects.current().filter(region_path__in=tree.ancestors(alert.region_path),
                                             role__in=[str(r) for r in GOVERNMENT])
           .values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username")[:50])


@require_POST
@page_view
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = viewer_of(request)
    alert = selectors.alert_get(viewer, pk)
    note = request.POST.get("note", "")
    try:
        if action == "assign":
            services.alert_assign(actor=request.user, alert=alert, assignee_id=request.POST.get("assignee"),
                                  note=note)
        elif action == "act":
            services.alert_act(actor=request.user, alert=alert, note=note)
        elif action == "close":
            services.alert_close(actor=request.user, alert=alert, note=note)
        else:
            raise ValidationError(_("Unknown step."), field="action")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return render(request, "web/error.html", {"message": exc.message}, status=exc.status)
    messages.success(request, _("Saved."))
    return redirect("command:alert", pk=alert.pk)

