"""Who is acting, from where, through which channel: set once per request (or command,
or task) and read by the audit log, so services need not pass the request around."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class ActionContext:
    channel: str = "system"  # web, api, cli, task, system
    address: str | None = None


_current: ContextVar[ActionContext] = ContextVar("shanzhi_action_context", default=ActionContext())  # noqa: B039 (frozen)


def current() -> ActionContext:
    return _current.get()


@contextlib.contextmanager
def acting(channel: str, address: str | None = None) -> Iterator[ActionContext]:
    ctx = ActionContext(channel=channel, address=address)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted solely when an operator says a proxy
    # sets it (BEHIND_TLS_PROXY), since anyone can send the header.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        with acting(channel, client_address(request)):
            return self.get_response(request)
