from __future__ import annotations

from typing import Any

from django import template
from django.template import Engine
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def render_part(context: template.Context, template_name: str, part_context: dict[str, Any] | None) -> SafeString:
    """Render a registered card or tab: its template, with the page's context plus the
    part's own variables (``registry``)."""
    engine = context.template.engine if context.template is not None else Engine.get_default()
    part = engine.get_template(template_name)
    with context.push(part_context or {}):
        return part.render(context)


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, page_number: int) -> str:
    """The current address with another page number (keeping the search text, the tab...)."""
    query = context["request"].GET.copy()
    query["page"] = page_number
    return "?" + query.urlencode()


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)
