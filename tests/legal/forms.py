"""Follow a page's forms the way a browser would: read each <form>'s action, method and
fields (inputs with their values, the first or selected option of a select, textareas),
fill in what the person types, and submit it with the Django test client."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    boxes: set[str] = field(default_factory=set)  # checkboxes, ticked or not


class _Parser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(action=a.get("action") or self.url, method=(a.get("method") or "get").lower())
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                self.form.boxes.add(a["name"])
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.form.fields[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self.select = a.get("name")
            if self.select:
                self.form.options[self.select] = []
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.form.options[self.select].append(value)
            if "selected" in a or self.select not in self.form.fields:
                self.form.fields[self.select] = value
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.form.fields[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms(response: Any) -> list[Form]:
    assert response.status_code == 200, response.status_code
    parser = _Parser(response.wsgi_request.path)
    parser.feed(response.content.decode())
    return parser.forms


def posts(response: Any) -> list[Form]:
    """The page's own forms that change something (not the language or logout forms)."""
    return [f for f in forms(response) if f.method == "post" and f.action.startswith("/legal/")]


def form(response: Any, *, action_ends: str = "", has: str = "") -> Form:
    """The one form on the page whose action ends with ``action_ends`` / that has the field ``has``."""
    found = [f for f in posts(response) if f.action.endswith(action_ends)
             and (not has or has in f.fields)]
    assert len(found) == 1, [(f.action, list(f.fields)) for f in forms(response)]
    return found[0]


def submit(client: Any, page: Any, *, action_ends: str = "", has: str = "", **typed: str) -> Any:
    """Fill in ``typed`` on the form and post it; the fields a person cannot type into
    (hidden, the CSRF token) keep the page's values."""
    f = form(page, action_ends=action_ends, has=has)
    unknown = set(typed) - set(f.fields) - f.boxes
    assert not unknown, (unknown, list(f.fields))
    return client.post(f.action, {**f.fields, **typed})
