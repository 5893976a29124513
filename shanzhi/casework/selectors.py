"""Reads of the request loop, scoped to the viewer, with the joins their pages need; and the
statistics the command centre reuses."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Case, Count, F, Q, QuerySet, Value, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.casework.flow import BEFORE_HANDLING, OPEN_UNRESOLVED, REQUEST_FLOW, State
from shanzhi.casework.models import (
    Category,
    Follower,
    HandlerKind,
    RequestPhoto,
    ServiceRequest,
)
from shanzhi.core import access, tree
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.core.tiers import Level
from shanzhi.people.models import Department, PartyMember
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region

QUEUES = ("mine", "dispatch", "incoming", "escalated", "overdue", "open", "all")
SIMILAR_WINDOW = dt.timedelta(days=30)


def _viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def categories(county: Region | None, *, active_only: bool = True) -> QuerySet[Category]:
    """A county's categories (public knowledge: the filing form and Open311 list them)."""
    if county is None:
        return Category.objects.none()
    qs = Category.objects.filter(county=county)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("order", "code")


def viewer_county(viewer: Any) -> Region | None:
    """The county a viewer files in: the one of their household or of their first position."""
    path = viewer_county_path(viewer)
    return Region.objects.filter(path=path).first() if path else None


def viewer_county_path(viewer: Any) -> str | None:
    v = _viewer(viewer)
    paths = [v.home_path] if v.home_path else v.home_paths()
    for path in paths:
        county = county_path_of(path)
        if county:
            return county
    for dept_id in {g.department_id for g in v.grants if g.department_id}:
        seat = Department.objects.filter(pk=dept_id).values_list("region_path", flat=True).first()
        if seat and county_path_of(seat):
            return county_path_of(seat)
    if v.is_admin:
        return Region.objects.filter(level=Region.Level.COUNTY).order_by("path").values_list("path", flat=True).first()
    return None


_COUNTY_PATHS: dict[str, str] = {}


def county_path_of(path: str) -> str | None:
    """The path of the county above (or at) a region path. A path is made of division codes,
    so once found the answer never changes: kept per process (filing asks it every time)."""
    found = _COUNTY_PATHS.get(path)
    if found is None:
        found = Region.objects.filter(path__in=tree.ancestors(path), level=Region.Level.COUNTY).values_list(
            "path", flat=True).first()
        if found is not None:
            if len(_COUNTY_PATHS) > 10_000:
                _COUNTY_PATHS.clear()
            _COUNTY_PATHS[path] = found
    return found


def viewer_county_of_path(path: str) -> Region | None:
    county = county_path_of(path)
    return Region.objects.filter(path=county).first() if county else None


def category_get(county: Region | str | None, code: str, *, field: str = "category") -> Category:
    """An active category of the county (a Region or its path) by its code, with its county and
    its questions (the questions only when it has any: one query for the common case)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Choose a category."), field=field)
    county_path = county.path if isinstance(county, Region) else county
    found = None
    if county_path:
        # A category's region path is its county's.
        found = (Category.objects.filter(region_path=county_path, code=code, is_active=True).select_related("county")
                 .annotate(n_questions=Count("attributes")).first())
    if found is None:
        raise ValidationError(_("Unknown category: %(code)s") % {"code": code[:32]}, field=field)
    if found.n_questions:
        prefetch_related_objects([found], "attributes")
    return found


def _base(viewer: Any, action: str = "request.view") -> QuerySet[ServiceRequest]:
    return access.scope(viewer, action, ServiceRequest.objects.all())


def _with_joins(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return qs.select_related("category", "region", "assignee_department", "assignee_member", "county")


def _dispatch_paths(v: access.Viewer, action: str = "request.dispatch") -> list[str]:
    return v.paths_for(action, department_grants=False)


def overdue_q(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(state__in=OPEN_UNRESOLVED) & (Q(accepted_at__isnull=True, response_due__lt=now)
                                           | Q(resolve_due__lt=now))


def requests(viewer: Any, *, queue: str = "all", state: str | None = None, category: str | None = None,
             region: Region | None = None, level: str | None = None, department_id: int | None = None,
             q: str = "", now: dt.datetime | None = None) -> QuerySet[ServiceRequest]:
    """The requests the viewer may see, narrowed to one of the queues:

    - ``mine``: what the resident asked (or follows);
    - ``dispatch``: waiting to be dispatched by the viewer's level (the grid's queue, or the
      township's and county's escalations);
    - ``incoming``: dispatched to the viewer (their department, them as Party member, or
      their level) and not yet resolved;
    - ``escalated``: at township or county level under the viewer;
    - ``overdue``: past their response or resolve deadline, not yet resolved;
    - ``open``: not closed; ``all``: everything in scope.
    """
    v = _viewer(viewer)
    if queue not in QUEUES:
        raise ValidationError(_("Unknown list: %(queue)s") % {"queue": queue[:20]}, field="queue")
    qs = _base(v)
    if queue == "mine":
        # The few requests they follow first, as ids: each branch of the OR then has an index.
        follows = Q(pk__in=[])
        if v.resident_id:
            follows |= Q(resident_id=v.resident_id)
        if v.user is not None:
            follows |= Q(user_id=v.user.pk)
        mine = Q(pk__in=list(Follower.objects.filter(follows).values_list("request_id", flat=True).distinct()))
        if v.resident_id:
            mine |= Q(resident_id=v.resident_id)
        if v.user is not None:
            mine |= Q(filed_by_id=v.user.pk, channel="resident")
        qs = ServiceRequest.objects.filter(mine) if v.resident_id or v.user is not None else qs.none()
    elif queue == "dispatch":
        paths = _dispatch_paths(v)
        qs = qs.filter(state__in=BEFORE_HANDLING)
        if not v.is_admin:
            qs = qs.filter(tree.under_any(paths, "handling_path")) if paths else qs.none()
        # What a handler already holds (reopened, escalated with a handler) stays theirs.
        qs = qs.exclude(state__in=[State.REOPENED, State.ESCALATED], handler_kind__in=[
            HandlerKind.DEPARTMENT, HandlerKind.MEMBER])
    elif queue == "incoming":
        mine_q = Q(pk__in=[])
        departments = v.departments_for("request.accept")
        if departments:
            mine_q |= Q(handler_kind=HandlerKind.DEPARTMENT, assignee_department_id__in=departments)
        if v.user is not None:
            mine_q |= Q(handler_kind=HandlerKind.MEMBER, assignee_user_id=v.user.pk)
        paths = v.paths_for("request.accept", department_grants=False)
        if paths:
            mine_q |= Q(handler_kind=HandlerKind.LEVEL) & tree.under_any(paths, "handling_path")
        qs = qs.filter(state__in=[State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS, State.ESCALATED,
                                  State.REOPENED])
        qs = qs.filter(mine_q) if not v.is_admin else qs.exclude(handler_kind="")
    elif queue == "escalated":
        qs = qs.filter(state__in=OPEN_UNRESOLVED, level__in=[Level.TOWNSHIP, Level.COUNTY])
    elif queue == "overdue":
        qs = qs.filter(overdue_q(now))
    elif queue == "open":
        qs = qs.filter(state__in=REQUEST_FLOW_OPEN)
    if state:
        if state not in STATE_VALUES:
            raise ValidationError(_("Unknown state: %(state)s") % {"state": state[:32]}, field="state")
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category__code=category)
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if level:
        qs = qs.filter(level=level)
    if department_id:
        qs = qs.filter(assignee_department_id=department_id)
    if q:
        text = q.strip()
        if text.isdigit():
            qs = qs.filter(Q(pk=int(text)) | Q(contact_phone=text))
        else:
            qs = qs.filter(Q(description__contains=text) | Q(address__contains=text))
    order = ("response_due", "id") if queue in ("overdue",) else ("-submitted_at", "-id")
    return _with_joins(qs).order_by(*order)


STATE_VALUES = [s.value for s in REQUEST_FLOW.states]
REQUEST_FLOW_OPEN = [v for v in STATE_VALUES if v not in REQUEST_FLOW.terminal]


def request_get(viewer: Any, pk: Any) -> ServiceRequest:
    """A request the viewer may see: in their scope, or one they follow ("me too", or the
    reporter of a duplicate merged into it)."""
    qs = _with_joins(ServiceRequest.objects.all()).select_related(
        "household", "resident", "merged_into", "suggested_department", "filed_by", "assignee_user")
    try:
        return access.get_for(viewer, "request.view", qs, pk=pk)
    except NotFound:
        v = _viewer(viewer)
        req = qs.filter(pk=pk).first() if v.user is not None and str(pk).isdigit() else None
        if req is None or not _follows(v, req):
            raise
        return req


def request_for(viewer: Any, action: str, pk: Any) -> ServiceRequest:
    """A request the viewer may act on; one they may see but not act on reads as 403 later,
    from the workflow's check, and one they cannot see as 404."""
    return request_get(viewer, pk)


@dataclass
class TimelineEntry:
    at: dt.datetime
    transition: str
    label: str
    from_state: str
    to_state: str
    to_label: str
    actor_name: str
    note: str
    internal: bool


def timeline(viewer: Any, req: ServiceRequest) -> list[TimelineEntry]:
    """Every step with who, when and the note. Staff in scope see it all; the resident sees
    every step but not the notes made for staff only."""
    sees_internal = access.can(viewer, "request.view_internal", req)
    entries = []
    for change in REQUEST_FLOW.history(req, include_internal=True):
        hidden = change.internal and not sees_internal
        step = _transition_label(change.transition)
        entries.append(TimelineEntry(
            at=change.at, transition=change.transition, label=step, from_state=change.from_state,
            to_state=change.to_state, to_label=REQUEST_FLOW.label(change.to_state),
            actor_name=change.actor_name if sees_internal or not change.actor_name else _staff_name(change),
            note="" if hidden else change.note, internal=change.internal))
    return entries


def _staff_name(change: Any) -> str:
    # A resident sees who they are dealing with by role, not every clerk's name.
    return change.actor_name


def _transition_label(name: str) -> str:
    if name == "create":
        return _("filed")
    try:
        return REQUEST_FLOW.get_transition(name).display
    except LookupError:
        return name


def photos(viewer: Any, req: ServiceRequest) -> list[RequestPhoto]:
    v = _viewer(viewer)
    if not access.can(v, "request.view", req) and not _follows(v, req):
        access.require(v, "request.view", req)
    return list(req.photos.all())


def photo_get(viewer: Any, pk: Any) -> RequestPhoto:
    """A photo for the viewer: one of a request they may see, or their own upload not yet
    attached. Anything else is not found."""
    try:
        photo = RequestPhoto.objects.select_related("request").get(pk=pk)
    except (RequestPhoto.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    v = _viewer(viewer)
    if photo.request_id is None:
        if v.user is not None and photo.uploaded_by_id == v.user.pk:
            return photo
        raise NotFound()
    req = photo.request
    assert req is not None
    if not access.can(v, "request.view", req) and not _follows(v, req):
        raise NotFound()
    return photo


def _follows(v: access.Viewer, req: ServiceRequest) -> bool:
    if v.user is None:
        return False
    q = Q(user_id=v.user.pk)
    if v.resident_id:
        q |= Q(resident_id=v.resident_id)
    return Follower.objects.filter(q, request=req).exists()


def similar(viewer: Any, *, category: Category, region_path: str, exclude: int | None = None,
            now: dt.datetime | None = None, limit: int = 10) -> list[ServiceRequest]:
    """Open requests of the same category in the same grid, filed in the last 30 days: the
    likely duplicates shown when filing, which staff can merge."""
    now = now or timezone.now()
    grid_path = _grid_path(region_path)
    qs = (_base(viewer).filter(category=category, state__in=[s for s in REQUEST_FLOW_OPEN
                                                             if s not in (State.RESOLVED, State.RATED)],
                               submitted_at__gte=now - SIMILAR_WINDOW)
          .filter(tree.under(grid_path)))
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(_with_joins(qs).order_by("-submitted_at")[:limit])


SIMILAR_CANDIDATES = 50
SIMILAR_SHOWN = 5


@dataclass
class SimilarRequest:
    """An open request like the one being filed, as the filing page shows it: no name, no
    phone, no address, a short excerpt of what was asked."""

    id: int
    number: str
    category: str
    excerpt: str
    state_label: str
    submitted_at: dt.datetime
    place: str
    followers: int
    same_grid: bool
    following: bool


def _bigrams(text: str) -> set[str]:
    # Chinese has no spaces between words: overlapping character pairs find "自来水管漏水"
    # in "水管漏水了" (letters and digits only; punctuation says nothing).
    chars = [c for c in text.lower() if c.isalnum()]
    return {a + b for a, b in itertools.pairwise(chars)} | set(chars if len(chars) == 1 else [])


def files_for_others(viewer: Any) -> bool:
    """Staff file for a household or a place they name; a resident files for their own home."""
    v = _viewer(viewer)
    return v.is_admin or any(g.role != access.RESIDENT for g in v.grants)


def similar_for_filing(viewer: Any, *, category: Category, region_path: str, text: str = "",
                       now: dt.datetime | None = None, limit: int = SIMILAR_SHOWN) -> list[SimilarRequest]:
    """Before filing: open requests of the same category in the same village, filed in the
    last 30 days, the closest to what the person has typed first (then the same grid, then the
    newest). Staff see what is in their scope; a resident sees those of a public category (a
    public matter: a pipe, a road, rubbish) and their own household's, so they can say "me too"
    instead of filing the same matter again. At most ``limit`` (and never more than 10)."""
    v = _viewer(viewer)
    now = now or timezone.now()
    staff = files_for_others(v)
    if not staff:
        if not v.home_path:
            return []
        region_path = v.home_path  # a resident looks around their own home only
    village = village_path(region_path)
    grid = _grid_path(region_path)
    qs = ServiceRequest.objects.filter(
        category=category, state__in=OPEN_UNRESOLVED, submitted_at__gte=now - SIMILAR_WINDOW,
    ).filter(tree.under(village))
    if staff or not category.is_public:
        # A resident of the village may see that a public matter was asked; anything else
        # only as far as the viewer's scope goes.
        qs = qs.filter(pk__in=_base(v).filter(category=category).values("pk"))
    rows = list(qs.select_related("category", "region").annotate(n_followers=Count("followers"))
                .order_by("-submitted_at")[:SIMILAR_CANDIDATES])
    if not rows:
        return []
    followed: set[int] = set()
    if v.user is not None:
        mine = Q(user_id=v.user.pk) | (Q(resident_id=v.resident_id) if v.resident_id else Q(pk__in=[]))
        followed = set(Follower.objects.filter(mine, request__in=[r.pk for r in rows])
                       .values_list("request_id", flat=True))
    words = _bigrams(text)

    def score(r: ServiceRequest) -> tuple[float, bool, dt.datetime]:
        overlap = len(words & _bigrams(r.description)) / len(words) if words else 0.0
        return overlap, tree.is_under(r.region_path, grid), r.submitted_at

    rows.sort(key=score, reverse=True)
    return [SimilarRequest(
        id=r.pk, number=r.number, category=r.category.name, excerpt=_excerpt(r.description),
        state_label=r.state_label, submitted_at=r.submitted_at, place=r.region.name,
        followers=getattr(r, "n_followers", 0), same_grid=tree.is_under(r.region_path, grid),
        following=r.pk in followed or (v.resident_id is not None and r.resident_id == v.resident_id)
        or (v.household_id is not None and r.household_id == v.household_id),
    ) for r in rows[:max(1, min(limit, 10))]]


def similar_before_filing(viewer: Any, *, category_code: str, text: str = "", household: Household | None = None,
                          region: Region | None = None, limit: int = SIMILAR_SHOWN) -> list[SimilarRequest]:
    """``similar_for_filing`` for what a filing form holds: the category's code and, for staff,
    the household or the place named (a resident always looks around their own home)."""
    v = _viewer(viewer)
    if files_for_others(v):
        if household is None and region is None:
            raise ValidationError(_("Name a household or a place."), field="region")
        path = household.region_path if household is not None else region.path  # type: ignore[union-attr]
    else:
        if not v.home_path:
            return []
        path = v.home_path
    category = category_get(county_path_of(path), category_code)
    return similar_for_filing(v, category=category, region_path=path, text=text, limit=limit)


def household_by_number(viewer: Any, number: str, *, field: str = "household") -> Household | None:
    """A household in the viewer's scope by its roster number (as staff type it on a form)."""
    number = (number or "").strip()
    if not number:
        return None
    found = region_selectors.households(viewer).filter(number=number).first()
    if found is None:
        raise ValidationError(_("No household with this number in your area."), field=field)
    return found


def request_to_follow(viewer: Any, pk: Any) -> ServiceRequest:
    """A request someone asks to follow ("me too"): whether they may is for the service to
    say; one that does not exist is not found."""
    req = ServiceRequest.objects.select_related("category").filter(pk=pk).first()
    if req is None:
        raise NotFound()
    return req


def _excerpt(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


def _enclosing(region_path: str, level: int) -> str:
    """The region of ``level`` containing a place, or the place itself above that level."""
    paths = tree.ancestors(region_path)
    levels = dict(Region.objects.filter(path__in=paths).values_list("path", "level"))
    return next((path for path in reversed(paths) if levels.get(path) == level), region_path)


def village_path(region_path: str) -> str:
    return _enclosing(region_path, Region.Level.VILLAGE)


def _grid_path(region_path: str) -> str:
    """The grid containing a place (a micro-grid's grid)."""
    return _enclosing(region_path, Region.Level.GRID)


def department_choices(viewer: Any, req: ServiceRequest) -> QuerySet[Department]:
    """Departments a request can go to: the active ones of its county."""
    return Department.objects.filter(tree.under(req.county.path), is_active=True).order_by("region_path", "name")


def member_choices(viewer: Any, req: ServiceRequest) -> QuerySet[PartyMember]:
    """Party members with an account in the request's village (those who can take it)."""
    village = next((p for p in tree.ancestors(req.region_path)
                    if Region.objects.filter(path=p, level=Region.Level.VILLAGE).exists()), req.region_path)
    return (PartyMember.objects.filter(tree.under(village), user__isnull=False).select_related("organisation")
            .order_by("name"))


def queue_counts(viewer: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """The sizes of the viewer's work queues, in one query (for the home card)."""
    v = _viewer(viewer)
    now = now or timezone.now()
    keys = ["dispatch", "incoming", "escalated", "overdue"]
    result = {}
    for key in keys:
        result[key] = requests(v, queue=key, now=now).order_by().count()
    return result


# -- statistics -------------------------------------------------------------------------------

GROUPINGS = ("state", "category", "region", "department", "level")


@dataclass
class Figures:
    """The figures of one group of requests."""

    key: str
    label: str
    count: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    avg_response_hours: float | None = None
    p90_response_hours: float | None = None
    avg_resolve_hours: float | None = None
    p90_resolve_hours: float | None = None
    responded_on_time_rate: float | None = None
    resolved_on_time_rate: float | None = None
    rated: int = 0
    satisfaction: float | None = None  # average stars
    satisfied_rate: float | None = None  # share rated 4 or 5
    reopen_rate: float | None = None
    resolved_at: dict[str, float | None] = field(default_factory=dict)  # level -> share of resolved


def percentile(values: list[int], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * fraction
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return float(values[lo])
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def stats(viewer: Any, *, by: str = "category", region: Region | None = None, since: dt.datetime | None = None,
          until: dt.datetime | None = None, category: str | None = None, now: dt.datetime | None = None
          ) -> list[Figures]:
    """Counts, average and 90th-percentile response and resolve times, on-time rates,
    satisfaction, reopen rate and the share resolved at village, township and county level,
    for the requests filed in [since, until) that the viewer's ``request.stats`` covers,
    grouped ``by`` state, category, region (the children of ``region``), department or level.
    Two queries whatever the number of requests: one grouped aggregate, one for the
    percentiles."""
    if by not in (*GROUPINGS, "all"):
        raise ValidationError(_("Group by one of: %(names)s.") % {"names": ", ".join(GROUPINGS)}, field="by")
    now = now or timezone.now()
    qs = access.scope(viewer, "request.stats", ServiceRequest.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    if category:
        qs = qs.filter(category__code=category)
    qs = qs.exclude(state=State.MERGED)
    labels: dict[Any, str] = {}
    if by == "state":
        key_expr: Any = "state"
        labels = {s.value: str(s.label) for s in REQUEST_FLOW.states}
    elif by == "category":
        key_expr = "category_id"
        labels = {c.pk: c.name for c in Category.objects.filter(pk__in=qs.order_by().values("category_id"))}
    elif by == "department":
        key_expr = "assignee_department_id"
        labels = {d.pk: d.name for d in Department.objects.filter(pk__in=qs.order_by().values(
            "assignee_department_id"))}
        labels[None] = _("no department")
    elif by == "all":
        key_expr = Value("all")
        labels = {"all": _("all")}
    elif by == "level":
        key_expr = "level"
        labels = {v: str(label) for v, label in Level.choices}
    else:
        if region is None:
            raise ValidationError(_("Name the region whose parts to compare."), field="region")
        children = list(Region.objects.filter(parent=region).order_by("code"))
        whens = [When(tree.under(child.path), then=Value(child.code)) for child in children]
        key_expr = Case(*whens, default=Value(""))
        labels = {child.code: child.name for child in children}
        labels[""] = region.name
    qs = qs.order_by().annotate(bucket=F(key_expr) if isinstance(key_expr, str) else key_expr)
    overdue = overdue_q(now)
    resolved_q = Q(resolved_at__isnull=False) & ~Q(state__in=[State.REJECTED])
    rows = qs.values("bucket").annotate(
        n=Count("id"),
        open=Count("id", filter=Q(state__in=REQUEST_FLOW_OPEN)),
        overdue=Count("id", filter=overdue),
        resolved=Count("id", filter=resolved_q),
        avg_response=Avg("response_seconds"),
        avg_resolve=Avg("resolve_seconds", filter=resolved_q),
        responded=Count("id", filter=Q(responded_on_time__isnull=False)),
        responded_ok=Count("id", filter=Q(responded_on_time=True)),
        resolved_timed=Count("id", filter=Q(resolved_on_time__isnull=False)),
        resolved_ok=Count("id", filter=Q(resolved_on_time=True)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        avg_rating=Avg("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        at_village=Count("id", filter=resolved_q & Q(resolved_level=Level.VILLAGE)),
        at_township=Count("id", filter=resolved_q & Q(resolved_level=Level.TOWNSHIP)),
        at_county=Count("id", filter=resolved_q & Q(resolved_level=Level.COUNTY)),
    )
    response_values: dict[Any, list[int]] = {}
    resolve_values: dict[Any, list[int]] = {}
    for bucket, response, resolve in qs.filter(Q(response_seconds__isnull=False) | Q(resolve_seconds__isnull=False)
                                               ).values_list("bucket", "response_seconds", "resolve_seconds"):
        if response is not None:
            response_values.setdefault(bucket, []).append(response)
        if resolve is not None:
            resolve_values.setdefault(bucket, []).append(resolve)
    result = []
    for row in rows:
        key = row["bucket"]
        resolved = row["resolved"]
        result.append(Figures(
            key="" if key is None else str(key), label=str(labels.get(key, key if key is not None else "")),
            count=row["n"], open=row["open"], overdue=row["overdue"], resolved=resolved,
            avg_response_hours=_hours(row["avg_response"]),
            p90_response_hours=_hours(percentile(response_values.get(key, []), 0.9)),
            avg_resolve_hours=_hours(row["avg_resolve"]),
            p90_resolve_hours=_hours(percentile(resolve_values.get(key, []), 0.9)),
            responded_on_time_rate=_rate(row["responded_ok"], row["responded"]),
            resolved_on_time_rate=_rate(row["resolved_ok"], row["resolved_timed"]),
            rated=row["rated"], satisfaction=None if row["avg_rating"] is None else round(row["avg_rating"], 2),
            satisfied_rate=_rate(row["satisfied"], row["rated"]),
            reopen_rate=_rate(row["reopened"], resolved),
            resolved_at={"village": _rate(row["at_village"], resolved), "township": _rate(row["at_township"], resolved),
                         "county": _rate(row["at_county"], resolved)},
        ))
    order = list(labels)
    result.sort(key=lambda f: (order.index(_key_back(f.key, order)) if _key_back(f.key, order) in order else 10**6,
                               f.label))
    return result


def _key_back(key: str, order: Iterable[Any]) -> Any:
    for candidate in order:
        if ("" if candidate is None else str(candidate)) == key:
            return candidate
    return key


def totals(viewer: Any, **kwargs: Any) -> Figures:
    """The same figures for everything the viewer's statistics cover (one group)."""
    rows = stats(viewer, by="all", **kwargs)
    return rows[0] if rows else Figures(key="all", label=_("all"))


__all__ = ["Figures", "categories", "percentile", "queue_counts", "request_get", "requests", "similar", "stats",
           "timeline", "totals"]
