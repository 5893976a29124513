"""Every URL pattern the site answers, from Django's resolver, and the API operations from
the OpenAPI schema: what the matrix must cover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
SAMPLES = {"int": "1", "path": "nowhere", "slug": "nowhere", "str": "nowhere",
           "uuid": "00000000-0000-0000-0000-000000000000"}


@dataclass(frozen=True)
class Route:
    name: str | None  # qualified: "web:household", "admin:people_user_change"
    route: str  # the patterns' text joined: "households/<int:pk>/"
    parts: tuple[Any, ...]  # the pattern objects, outermost first

    @property
    def ident(self) -> str:
        return self.name or self.route

    def parameters(self) -> list[str]:
        names: list[str] = []
        for part in self.parts:
            if isinstance(part, RoutePattern):
                names += [m.group("parameter") for m in ROUTE_PARAM.finditer(str(part))]
            elif isinstance(part, RegexPattern):
                names += list(part.regex.groupindex)
        return names

    def sample(self, kwargs: dict[str, Any] | None = None) -> str:
        """A concrete path for this pattern: parameters from ``kwargs``, else a sample."""
        kwargs = kwargs or {}
        out = []
        for part in self.parts:
            text = str(part)
            if isinstance(part, RoutePattern):
                text = ROUTE_PARAM.sub(lambda m: str(kwargs.get(m.group("parameter"),
                                                                SAMPLES.get(m.group("converter") or "str", "x"))),
                                       text)
            elif isinstance(part, RegexPattern):
                text = _regex_sample(text, kwargs)
            out.append(text)
        return "/" + "".join(out)

    def api_path(self) -> str:
        """The OpenAPI form of a django-ninja route: ``/api/households/{household_id}``."""
        return "/" + ROUTE_PARAM.sub(lambda m: "{" + m.group("parameter") + "}", self.route)


def _regex_sample(text: str, kwargs: dict[str, Any]) -> str:
    def group(m: re.Match[str]) -> str:
        if m.group("name") in kwargs:
            return str(kwargs[m.group("name")])
        body = m.group("body")
        alternatives = body.split("|")
        if all(re.fullmatch(r"\w+", a) for a in alternatives):
            return alternatives[0]  # e.g. the admin's app list: (?P<app_label>auth|people|...)
        return "nowhere"

    text = REGEX_GROUP.sub(group, text.lstrip("^").rstrip("$").replace("\\Z", ""))
    text = text.replace(".+", "nowhere").replace(".*", "nowhere")
    return text.replace("\\", "")


def walk() -> list[Route]:
    routes: list[Route] = []

    def visit(patterns: list[Any], prefix: tuple[Any, ...], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                visit(pattern.url_patterns, (*prefix, pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                parts = (*prefix, pattern.pattern)
                name = None
                if pattern.name:
                    name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                routes.append(Route(name=name, route="".join(str(p) for p in parts), parts=parts))

    visit(get_resolver().url_patterns, (), "")
    return routes


def api_operations() -> set[tuple[str, str]]:
    from shanzhi.api import api

    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def paginated_operations() -> set[tuple[str, str]]:
    from shanzhi.api import api

    schema = api.get_openapi_schema()
    found = set()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            names = {p["name"] for p in op.get("parameters", [])}
            if {"page", "page_size"} <= names:
                found.add((method.upper(), path))
    return found
