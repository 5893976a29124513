"""The REST API: one NinjaAPI under /api/, one router per module, one error shape.

Every answer that is not a success is ``{"code", "message", "fields"}`` with its status
(401 not logged in, 403 in scope without the right, 404 unknown or out of scope, 405,
409 changed by someone else, 422 a field is not valid), the message in the user's
language (Accept-Language; zh-hans by default). Authentication is the session cookie
(unsafe methods need the CSRF token, as on the pages) or ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi import schema as ninja_openapi
from ninja.parser import Parser
from ninja.schema import NinjaGenerateJsonSchema
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel
from pydantic.json_schema import CoreModeRef, DefsRef

from shanzhi.core.errors import DomainError

logger = logging.getLogger("shanzhi.api")


class BearerToken(HttpBearer):
    """``Authorization: Bearer sz_…`` (POST /api/auth/token). A wrong, expired or revoked
    token authenticates no one, so the request ends in 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from shanzhi.people.services import token_user

        user = token_user(token.strip())
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The pages' login session. CSRF is checked only when a session is there to abuse,
    so an anonymous POST reads as 401 rather than as a CSRF failure."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def _shared_model_names() -> set[str]:
    """Names of schemas that more than one of the platform's modules define (``StepOut``
    in disputes and in legal aid, ...)."""
    modules: dict[str, set[str]] = {}
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        if model.__module__.startswith("shanzhi."):
            modules.setdefault(model.__name__, set()).add(model.__module__)
    return {name for name, where in modules.items() if len(where) > 1}


class _UniqueSchemaNames(NinjaGenerateJsonSchema):
    """django-ninja files every schema under its class name in ``components/schemas``, so
    two modules' ``StepOut`` overwrite each other and one operation is documented with the
    other's fields. A name that several modules use gets its module's name in front
    (``DisputesStepOut``); the others stay as they are."""

    shared: set[str] = set()

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        defs_ref = super().get_defs_ref(core_mode_ref)
        dotted = core_mode_ref[0].rsplit(":", 1)[0]
        module, _, name = dotted.rpartition(".")
        if name in self.shared and module.startswith("shanzhi.") and "[" not in dotted:
            qualified = module.split(".")[1].title().replace("_", "") + name
            self._prioritized_defsref_choices[defs_ref][:0] = [DefsRef(qualified),
                                                               DefsRef(f"{qualified}-{core_mode_ref[1].title()}")]
        return defs_ref


ninja_openapi.NinjaGenerateJsonSchema = _UniqueSchemaNames  # type: ignore[misc]


class ShanzhiAPI(NinjaAPI):
    def _resolve_deferred_annotations(self) -> None:
        """django-ninja resolves a paginated view's string annotations in its pagination
        module instead of the view's (vitalik/django-ninja#1717), so a router written with
        ``from __future__ import annotations`` gets parameter models it cannot use. Rebuild
        those in the namespace of the view they came from."""
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    namespace = getattr(inspect.unwrap(operation.view_func), "__globals__", {})
                    for model in operation.models:
                        if not getattr(model, "__pydantic_complete__", True):
                            model.model_rebuild(force=True, _types_namespace=namespace)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        self._resolve_deferred_annotations()
        _UniqueSchemaNames.shared = _shared_model_names()
        return _document_errors(super().get_openapi_schema(*args, **kwargs))

    def _get_urls(self) -> list[Any]:
        urls: list[Any] = []
        patterns = super()._get_urls()
        self._resolve_deferred_annotations()
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                continue
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(pattern.pattern, _json_not_allowed(pattern.callback),
                                     pattern.default_args, pattern.name)
            urls.append(pattern)
        # The root says where the documentation is; any other address under /api/ is a
        # JSON 404 rather than the site's HTML page.
        urls.append(path("", _index, name="api-root"))
        urls.append(re_path(r"^.+$", _unknown_address, name="api-unknown"))
        return urls


api = ShanzhiAPI(
    title="Shanzhi (善治) API",
    version="1",
    description=(
        "Party-led grassroots governance. Authenticate with the session cookie (send the "
        "`X-CSRFToken` header on POST/PATCH/DELETE) or with `Authorization: Bearer <token>` "
        "(POST /api/auth/token). Every error is `{\"code\", \"message\", \"fields\"}`; messages "
        "follow `Accept-Language` (zh-hans by default, en). Lists are paginated: `page`, "
        "`page_size` (default 50, at most 200); the answer is `{\"items\", \"count\"}`. "
        "Records outside your scope answer 404, as unknown ones do. ID numbers and phone "
        "numbers are masked; POST /api/residents/{id}/reveal-id shows one ID number and is "
        "written to the audit log."
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    # Swagger UI from the files django-ninja installs (ninja/static), with the online
    # validator badge switched off: the docs page loads nothing from outside the server.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)


def error_response(request: HttpRequest, status: int, code: str, message: Any,
                   fields: dict[str, Any] | None = None) -> HttpResponse:
    body = {"code": code, "message": str(message), "fields": {k: str(v) for k, v in (fields or {}).items()}}
    return api.create_response(request, body, status=status)


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["code", "message", "fields"],
    "additionalProperties": False,
}
# Every operation may answer these (see the module docstring); 401 only where a login is needed.
# The schema is for developers, so the descriptions are in English only.
ERROR_STATUSES = {
    "400": "The request body is not valid JSON.",
    "401": "Not logged in, or the token is not valid.",
    "403": "In scope, but without the right to do this.",
    "404": "Unknown, or outside your scope.",
    "409": "Refused in the record's present state, or changed by someone else first.",
    "422": "A field is not valid; `fields` says which.",
    "429": "Too many requests.",
}


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Name the error answers in the schema, so clients (and the schema fuzzing in
    tests/trust) know every status an operation may give and the one shape they share."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                if status == "401" and not operation.get("security"):
                    continue
                responses.setdefault(status, {"description": description, **ref})
    return schema


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body = exc.as_dict()
    response = error_response(request, exc.status, body["code"], body["message"], body["fields"])
    retry_after = getattr(exc, "retry_after", None)  # Throttled (429): when to try again
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# Pydantic's messages are English only; these are the ones a county's users meet.
FIELD_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "string_type": gettext_lazy("Enter text."),
    "string_too_long": gettext_lazy("At most %(max_length)s characters."),
    "string_too_short": gettext_lazy("At least %(min_length)s characters."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "greater_than_equal": gettext_lazy("At least %(ge)s."),
    "greater_than": gettext_lazy("More than %(gt)s."),
    "less_than_equal": gettext_lazy("At most %(le)s."),
    "less_than": gettext_lazy("Less than %(lt)s."),
    "enum": gettext_lazy("Choose one of: %(expected)s."),
    "literal_error": gettext_lazy("Choose one of: %(expected)s."),
    "date_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_type": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": gettext_lazy("Enter a date and time such as 2026-01-31T09:30:00+08:00."),
    "datetime_from_date_parsing": gettext_lazy("Enter a date and time such as 2026-01-31T09:30:00+08:00."),
    "datetime_type": gettext_lazy("Enter a date and time such as 2026-01-31T09:30:00+08:00."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "bool_type": gettext_lazy("Enter true or false."),
    "list_type": gettext_lazy("Enter a list."),
    "dict_type": gettext_lazy("Enter an object."),
    "model_attributes_type": gettext_lazy("Enter an object."),
    "model_type": gettext_lazy("Enter an object."),
    "extra_forbidden": gettext_lazy("Unknown field."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "string_nul": gettext_lazy("Text may not contain NUL characters."),
}


def field_message(error: dict[str, Any]) -> str:
    template = FIELD_MESSAGES.get(error.get("type", ""))
    if template is None:
        return _("This value is not valid.")
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if "expected" in ctx:
        ctx["expected"] = ctx["expected"].replace(" or ", ", ")
    try:
        return str(template) % ctx
    except (KeyError, TypeError, ValueError):
        return str(template).split("%", 1)[0].strip() or _("This value is not valid.")


# The parts of a location that say where a value came from rather than which field it is.
_SOURCES = {"body", "query", "path", "payload", "form", "header", "cookie", "file", "filters", "pagination"}


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(err.get("loc", ())), field_message(err))
    return error_response(request, 422, "invalid", _("Some fields are not valid."), fields)


def _field_name(loc: Any) -> str:
    """``("body", "payload", "title")`` -> ``title``: the source and the parameter's name go,
    a field that happens to be called ``body`` or ``file`` stays."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:  # where it came from
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _SOURCES:  # the parameter ("payload")
        parts = parts[1:]
    elif len(parts) == 1 and parts[0] in _SOURCES:  # the parameter as a whole
        parts = []
    return ".".join(parts) or "request"


def _nul_at(data: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where in parsed input a NUL character is (PostgreSQL cannot store one), or None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key)
        found = _nul_at(value, (*path, key))
        if found is not None:
            return found
    return None


def _refuse_nul(data: Any, source: str) -> Any:
    where = _nul_at(data)
    if where is not None:
        raise NinjaValidationError([{"type": "string_nul", "loc": (source, "payload", *where)}])
    return data


class ShanzhiParser(Parser):
    """JSON and form input as django-ninja reads it, refusing text with NUL characters
    with a 422 on the field (rather than a database error, a 500, when it is saved)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return _refuse_nul(super().parse_body(request), "body")

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)  # the query, a form, or the files
        _refuse_nul({k: v for k, v in parsed.items() if isinstance(v, str | list)}, "form")
        return parsed


api.parser = ShanzhiParser()


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, "unauthenticated",
                              _("Log in first, or send a valid API token (it may have expired)."))
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(request, 403, "csrf_failed", _(
            "The security token (CSRF) is missing or stale: send the X-CSRFToken header with the session, "
            "or use an API token."))
    if isinstance(exc.__cause__, NinjaValidationError):  # raised while parsing the body (ShanzhiParser)
        return on_validation_error(request, exc.__cause__)
    if exc.status_code == 400:
        return error_response(request, 400, "bad_request", _("The request body is not valid JSON."))
    if exc.status_code == 429:
        return error_response(request, 429, "throttled", _("Too many requests; wait a moment and try again."))
    return error_response(request, exc.status_code, "error", _("The request could not be handled."))


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(request, 500, "server_error",
                          _("Something went wrong on the server; the error has been logged."))


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)  # keeps csrf_exempt: ninja's auth does the CSRF check
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(request, 405, "method_not_allowed",
                                      _("This address does not accept %(method)s.") % {"method": request.method})
            response["Allow"] = allowed
        return response

    return wrapped


@csrf_exempt
def _index(request: HttpRequest) -> HttpResponse:
    return api.create_response(request, {
        "name": api.title, "version": api.version,
        "docs": request.build_absolute_uri("docs"), "openapi": request.build_absolute_uri("openapi.json"),
    }, status=200)


@csrf_exempt
def _unknown_address(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "not_found", _("There is no such address in the API."))


def register_routers() -> None:
    """Each module's router, mounted once."""
    from shanzhi.people.api import auth_router
    from shanzhi.people.api import router as people_router
    from shanzhi.regions.api import router as regions_router

    api.add_router("/auth", auth_router)
    api.add_router("/", regions_router)
    api.add_router("/", people_router)
    api.add_router("/", "shanzhi.points.api.router")
    api.add_router("/", "shanzhi.casework.api.router")
    api.add_router("/", "shanzhi.disputes.api.router")
    api.add_router("/", "shanzhi.contact.api.router")
    api.add_router("/", "shanzhi.gridwork.api.router")
    api.add_router("/", "shanzhi.organisations.api.router")
    api.add_router("/deliberation", "shanzhi.deliberation.api.router")
    api.add_router("/deliberation/public", "shanzhi.deliberation.api.public_router")
    api.add_router("/", "shanzhi.legal.api.router")
    api.add_router("/legal/public", "shanzhi.legal.api.public_router")
    api.add_router("/", "shanzhi.command.api.router")


register_routers()
