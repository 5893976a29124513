"""Bad input in every free-text field and every upload (issue 11, "Bad input").

The fields are read from the API schema, not listed by hand: every string property of a
JSON request body that is free text (no enum, format or pattern). Each operation is
called as a role the permission matrix says may call it, with the matrix's valid body,
and one field at a time replaced by something hostile:

- markup (``<script>``, an ``onerror`` attribute): stored exactly as sent, or refused;
  and afterwards no page of the site shows it unescaped;
- over-long text, NUL characters, a wrong type: stored, or refused with a 422 that names
  the field, in Chinese and in English; never a server error;
- a body that is not UTF-8 (JSON and form posts): a 4xx, never a server error.

Uploads (every multipart operation with a file): oversized, disguised (HTML, SVG, an
executable renamed .jpg/.pdf), a wrong Content-Type, empty: refused with a 4xx naming the
file field.

Every attempt runs in a savepoint that is rolled back, except in the test of the pages,
which keeps what it stored to show it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from shanzhi.api import api
from tests.matrix import registry
from tests.matrix.routes import Route, walk
from tests.matrix.runner import Call, prepare, rolled_back, send
from tests.matrix.world import INSIDE, ROLES, SIGNED_IN, World

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
MARKUP = [SCRIPT, IMG]
LONG = "长" * 100_000
NUL = "before\x00after"
WRONG_TYPES: list[Any] = [12345, ["a", "b"], {"text": "x"}]

# The order in which roles are tried to find one that may call an operation.
PREFERRED = ["admin", "county_staff", "township_staff", "village_secretary", "grid_worker", "resident",
             "department_staff", *ROLES]


@pytest.fixture
def client() -> Client:
    """A server error is an answer to judge here, not an exception in the test."""
    return Client(raise_request_exception=False)


# --- the schema's free-text fields -----------------------------------------------------------

def _schema() -> dict[str, Any]:
    if not _CACHE:
        _CACHE["schema"] = api.get_openapi_schema()
    return _CACHE["schema"]


_CACHE: dict[str, Any] = {}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = _schema()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(node["allOf"][0])
    return node


def _is_free_text(prop: dict[str, Any]) -> bool:
    prop = _resolve(prop)
    options = [_resolve(p) for p in prop.get("anyOf", [prop])]
    texts = [p for p in options if p.get("type") == "string"]
    return bool(texts) and all(not ({"enum", "format", "pattern", "const"} & set(p)) for p in texts)


def _body_schema(operation: dict[str, Any], media: str) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return _resolve(content[media]["schema"]) if media in content else None


def free_text_fields(operation: dict[str, Any]) -> list[str]:
    body = _body_schema(operation, "application/json")
    if not body:
        return []
    return sorted(name for name, prop in body.get("properties", {}).items() if _is_free_text(prop))


def file_fields(operation: dict[str, Any]) -> list[str]:
    body = _body_schema(operation, "multipart/form-data")
    if not body:
        return []
    names = []
    for name, prop in body.get("properties", {}).items():
        options = [_resolve(p) for p in _resolve(prop).get("anyOf", [prop])]
        if any(p.get("format") == "binary" for p in options):
            names.append(name)
    return names


def _operation(entry: registry.Entry) -> dict[str, Any]:
    return _schema()["paths"][entry.path][entry.method.lower()]


def _api_entries() -> list[registry.Entry]:
    return [e for e in registry.load()[0] if e.is_api and e.method in ("POST", "PATCH", "PUT") and e.body]


# Not free text, though the schema says string.
NOT_FREE_TEXT = {"POST /api/auth/token": "credentials: a wrong one is refused on the password only, on purpose"}


def text_entries() -> list[registry.Entry]:
    return [e for e in _api_entries()
            if not e.form and e.ident not in NOT_FREE_TEXT and free_text_fields(_operation(e))]


def upload_entries() -> list[registry.Entry]:
    return [e for e in _api_entries() if e.form and file_fields(_operation(e))]


def test_the_schema_names_free_text_fields_and_uploads():
    """The generated lists are not empty (a change in the schema that hid every field
    would make the tests below vacuous)."""
    assert len(text_entries()) >= 40
    assert len(upload_entries()) >= 4
    fields = {f for e in text_entries() for f in free_text_fields(_operation(e))}
    assert {"description", "note", "reason"} <= fields, fields


# --- calling an operation as someone who may ---------------------------------------------------

@dataclass
class Caller:
    client: Client
    world: World
    entry: registry.Entry
    role: str
    obj: Any
    base: dict[str, Any]
    url: str
    headers: dict[str, str]

    def post(self, body: Any, *, raw: bytes | None = None, language: str = "zh-hans",
             content_type: str = "application/json") -> Any:
        headers = {**self.headers, "HTTP_ACCEPT_LANGUAGE": language}
        method = getattr(self.client, self.entry.method.lower())
        if self.entry.form and raw is None:
            return method(self.url, body, **headers)
        data = raw if raw is not None else json.dumps(body)
        return method(self.url, data, content_type=content_type, **headers)


def _prepared(client: Client, world: World, entry: registry.Entry, route: Route | None, role: str
              ) -> tuple[Any, Call] | None:
    """The matrix's request for ``role`` on a record inside its scope, or None when the
    world has no such record for the role."""
    try:
        obj = entry.target(world, role, INSIDE)
        return obj, prepare(client, world, entry, route, role, obj)
    except Exception:
        return None


def caller(client: Client, world: World, entry: registry.Entry) -> Caller | None:
    """The entry called by the first role that the matrix expects to succeed."""
    for role in PREFERRED:
        if role not in SIGNED_IN or entry.expected(role, INSIDE) != entry.ok:
            continue
        prepared = _prepared(client, world, entry, None, role)
        if prepared is None:  # no record of the kind for this role: try the next one
            continue
        obj, call = prepared
        url = call.url + (("?" + "&".join(f"{k}={v}" for k, v in call.query.items())) if call.query else "")
        found = Caller(client, world, entry, role, obj, call.body or {}, url, call.headers)
        with rolled_back():
            works = 200 <= found.post(found.base).status_code < 300
        # The matrix's body works for this role (it may not for others: a state the world is
        # in, a record already taken): it is the baseline each bad value is tried against.
        if works:
            return found
    return None


def _error(response: Any) -> dict[str, Any]:
    payload = response.json()
    assert set(payload) == {"code", "message", "fields"}, payload
    assert payload["message"], payload
    return payload


def _names(payload: dict[str, Any], field: str) -> bool:
    return any(key == field or key.startswith(field + ".") or key.endswith("." + field) for key in payload["fields"])


def _judge(c: Caller, field: str, value: Any, response: Any, *, must_refuse: bool = False) -> list[str]:
    where = f"{c.entry.ident} {field}={str(value)[:30]!r} as {c.role}"
    status = response.status_code
    if status >= 500:
        return [f"{where}: {status} {response.content[:200]!r}"]
    if 200 <= status < 300:
        if must_refuse:
            return [f"{where}: accepted ({status}), expected a 422 naming {field}"]
        return []
    if status == 409 and not must_refuse:  # the record's state (something earlier took it), not the field
        return []
    if status == 422:
        payload = _error(response)
        if not _names(payload, field):
            return [f"{where}: 422 does not name {field}: {payload}"]
        return []
    return [f"{where}: {status} {response.content[:200]!r}"]


def _attempt(c: Caller, field: str, value: Any, **judge: Any) -> list[str]:
    body = copy.deepcopy(c.base)
    body[field] = value
    with rolled_back():
        response = c.post(body)
        problems = _judge(c, field, value, response, **judge)
        if not problems and isinstance(value, str) and 200 <= response.status_code < 300:
            echoed = _find(response.json(), field)
            if isinstance(echoed, str) and ("&lt;" in echoed or "&amp;" in echoed):
                problems.append(f"{c.entry.ident} {field}: stored escaped ({echoed[:60]!r}); store text as sent "
                                "and escape it where it is shown")
    return problems


def _find(payload: Any, field: str) -> Any:
    if isinstance(payload, dict):
        return payload.get(field)
    return None


@pytest.fixture
def callers(client, world) -> list[Caller]:
    found = [c for c in (caller(client, world, e) for e in text_entries()) if c is not None]
    assert len(found) >= 30, len(found)
    return found


# --- free text ----------------------------------------------------------------------------------

def test_markup_is_stored_as_sent_or_refused(callers):
    problems: list[str] = []
    for c in callers:
        for field in free_text_fields(_operation(c.entry)):
            for value in MARKUP:
                problems += _attempt(c, field, value)
    assert not problems, "\n".join(problems)


def _odd_input(c: Caller) -> list[str]:
    problems: list[str] = []
    for field in free_text_fields(_operation(c.entry)):
        problems += _attempt(c, field, LONG)
        problems += _attempt(c, field, NUL)
        for value in WRONG_TYPES:
            problems += _attempt(c, field, value, must_refuse=True)
    return problems


def test_over_long_text_nul_characters_and_wrong_types_never_fail_the_server(callers):
    """Stored, or a 422 naming the field; a wrong type is always a 422."""
    problems = [p for c in callers for p in _odd_input(c)]
    assert not problems, "\n".join(problems)


def test_refusals_name_the_field_in_chinese_and_in_english(client, world):
    c = caller(client, world, next(e for e in text_entries() if e.path == "/api/requests"))
    assert c is not None
    answers = {}
    for language in ("zh-hans", "en"):
        with rolled_back():
            response = c.post({**c.base, "description": 12345}, language=language)
        assert response.status_code == 422
        answers[language] = _error(response)
        assert "description" in answers[language]["fields"]
    assert answers["zh-hans"]["message"] != answers["en"]["message"]
    assert answers["zh-hans"]["fields"]["description"] != answers["en"]["fields"]["description"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answers["zh-hans"]["fields"]["description"])


def test_bodies_that_are_not_utf8_are_refused(callers):
    """Invalid UTF-8 bytes in a JSON body: a 400/422 in the error shape, not a 500."""
    problems: list[str] = []
    for c in callers:
        for raw in (b'{"description": "\xff\xfe\xfa"}', b"\xc3\x28", json.dumps(c.base).encode()[:-1] + b"\x80}"):
            with rolled_back():
                response = c.post(None, raw=raw)
            if response.status_code not in (400, 422):
                problems.append(f"{c.entry.ident}: {response.status_code} {response.content[:200]!r}")
            else:
                _error(response)
    assert not problems, "\n".join(problems)


def test_form_posts_with_bad_bytes_never_fail_the_server(client, world):
    """Every page that takes a form, posted with invalid UTF-8 and NUL characters in each
    field the matrix fills in: never a server error."""
    routes = {r.name: r for r in walk() if r.name}
    problems: list[str] = []
    posted = 0
    for entry in registry.load()[0]:
        if entry.is_api or entry.method != "POST" or not entry.body:
            continue
        route: Route | None = routes.get(entry.name)
        role = next((r for r in PREFERRED if r in SIGNED_IN and entry.expected(r, INSIDE) not in (403, 404)), None)
        if route is None or role is None:
            continue
        prepared = _prepared(client, world, entry, route, role)
        if prepared is None:
            continue
        call = prepared[1]
        texts = [k for k, v in (call.body or {}).items() if isinstance(v, str)]
        for field in texts:
            for value in (b"\xff\xfe<script>", b"a\x00b"):
                encoded = "&".join(
                    f"{k}={v}" for k, v in call.body.items() if k != field and isinstance(v, str | int)
                ).encode() + b"&" + field.encode() + b"=" + value.replace(b"\x00", b"%00").replace(b"\xff", b"%FF")\
                    .replace(b"\xfe", b"%FE")
                with rolled_back():
                    response = client.post(call.url, encoded, content_type="application/x-www-form-urlencoded")
                posted += 1
                if response.status_code >= 500:
                    problems.append(f"{entry.ident} {field}={value!r}: {response.status_code}")
                elif b"\x00" in value and response.status_code != 400:  # core.security.NulInputMiddleware
                    problems.append(f"{entry.ident} {field}: NUL not refused ({response.status_code})")
    assert posted >= 10, posted
    assert not problems, "\n".join(problems)


# --- shown escaped ------------------------------------------------------------------------------

def test_stored_markup_is_shown_escaped_on_every_page(client, world, callers):
    """Store the markup in every free-text field that takes it (kept, not rolled back),
    then open every page of the site as each signed-in role: the markup is never there
    unescaped, and it is shown (escaped) somewhere."""
    stored = 0
    for c in callers:
        for field in free_text_fields(_operation(c.entry)):
            body = copy.deepcopy(c.base)
            body[field] = SCRIPT + IMG
            with transaction.atomic():  # kept, unless the request failed
                response = c.post(body)
                if 200 <= response.status_code < 300:
                    stored += 1
                else:
                    transaction.set_rollback(True)
    assert stored >= 20, stored
    routes = {r.name: r for r in walk() if r.name}
    problems: list[str] = []
    shown = 0
    for role in ("admin", "county_staff", "village_secretary", "grid_worker", "resident", "department_staff"):
        for entry in registry.load()[0]:
            if entry.is_api or entry.method != "GET" or entry.name not in routes:
                continue
            prepared = _prepared(client, world, entry, routes[entry.name], role)
            if prepared is None:
                continue
            response = send(client, prepared[1])
            if response.status_code != 200 or response.streaming or "html" not in response.get("Content-Type", ""):
                continue
            text = response.content.decode("utf-8", "replace")
            for raw in (SCRIPT, "<img src=x onerror"):
                if raw in text:
                    problems.append(f"{entry.ident} as {role}: shows {raw!r} unescaped")
            shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not problems, "\n".join(problems)
    assert shown >= 5, shown


# --- uploads ------------------------------------------------------------------------------------

BAD_FILES = {
    "html renamed .jpg": ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    "svg renamed .jpg": ("photo.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/jpeg"),
    "exe renamed .pdf": ("scan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf"),
    "html as image/png": ("photo.png", b"<!doctype html><p>hi</p>", "image/png"),
    "empty": ("photo.jpg", b"", "image/jpeg"),
}


def _oversized() -> tuple[str, bytes, str]:
    # A real JPEG header followed by 21 MB: larger than any upload limit (photos 10 MB, scans 20 MB).
    return ("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (21 * 1024 * 1024), "image/jpeg")


def upload_callers(client: Client, world: World) -> list[tuple[Caller, list[str]]]:
    out = []
    for entry in upload_entries():
        c = caller(client, world, entry)
        if c is not None:
            out.append((c, file_fields(_operation(entry))))
    return out


@pytest.mark.parametrize("bad", [*BAD_FILES, "oversized"])
def test_bad_uploads_are_refused_with_a_clear_error(client, world, bad):
    found = upload_callers(client, world)
    assert len(found) >= 4, [c.entry.ident for c, _ in found]
    name, content, content_type = _oversized() if bad == "oversized" else BAD_FILES[bad]
    problems: list[str] = []
    for c, fields in found:
        for field in fields:
            body = {k: v for k, v in c.base.items() if k not in fields}
            for language in ("zh-hans", "en"):
                body[field] = SimpleUploadedFile(name, content, content_type)  # a new one: sending reads it
                with rolled_back():
                    response = c.post(body, language=language)
                where = f"{c.entry.ident} {field} ({bad}, {language}) as {c.role}"
                if response.status_code not in (400, 413, 422):
                    problems.append(f"{where}: {response.status_code} {response.content[:200]!r}")
                    break
                payload = _error(response)
                if response.status_code == 422 and not _names(payload, field):
                    problems.append(f"{where}: does not name {field}: {payload}")
    assert not problems, "\n".join(problems)
