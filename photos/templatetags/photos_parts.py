"""``{% parts "event" event %}``: the parts other apps registered for a place of
photos' pages (photos.extensions), rendered in turn."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from photos import extensions

register = template.Library()


@register.simple_tag(takes_context=True)
def parts(context, place: str, obj) -> str:
    request = context.get("request")
    rendered = [
        render_to_string(name, part_context, request=request)
        for name, part_context in extensions.parts(place, request, obj)
    ]
    return mark_safe("".join(rendered))  # noqa: S308 - our own templates, autoescaped
