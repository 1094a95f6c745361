"""Template tags of the page layout every app shares (docs/architecture.md, "Page layout").

{% load layout %}
{{ value|ident }}           identifiers, codes, dates and phone numbers never break inside a token
{% pagination page %}       page numbers, 上一页/下一页 and 跳至…页, keeping the page's other query parameters
"""

import re

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join

register = template.Library()

# A run of printable ASCII without spaces (an ID number, a code, a date, a phone number, "2026-12-05"): kept on one
# line. Chinese text has no spaces, so it stays breakable between characters; a run longer than TOKEN_MAX (a URL, a
# pasted blob) stays breakable too, or it would push its table off the screen.
TOKEN = re.compile(r"[!-~]{2,}")
TOKEN_MAX = 40
WINDOW = 2  # page numbers shown either side of the current one


@register.filter(is_safe=True)
def ident(value) -> str:
    """The value, escaped, with every identifier-like token wrapped in <span class="ident"> (white-space: nowrap),
    so "34042119790403653 / 0" or "2088-11-1 / 8" cannot happen while text still wraps between words."""
    if value is None:
        return ""
    text, out, at = str(value), [], 0
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if len(token) > TOKEN_MAX:
            continue
        out.append(conditional_escape(text[at : match.start()]))
        out.append(format_html('<span class="ident">{}</span>', token))
        at = match.end()
    out.append(conditional_escape(text[at:]))
    return format_html_join("", "{}", ((piece,) for piece in out))


def page_numbers(number: int, last: int, window: int = WINDOW) -> list[int | None]:
    """Page numbers to show: the first, the last, `window` either side of the current one; None for a gap (…)."""
    shown = sorted({1, last, *range(max(1, number - window), min(last, number + window) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] == 2:  # one hidden page: show it rather than "…"
            numbers.append(n - 1)
        elif numbers and n - numbers[-1] > 2:
            numbers.append(None)
        numbers.append(n)
    return numbers


@register.inclusion_tag("_pagination.html", takes_context=True)
def pagination(context, page, anchor: str = "", param: str = "page") -> dict:
    """The pagination bar of a Django Page: numbers, previous/next and a jump box; the query string of the current
    request is kept (minus the page) in every link and as hidden fields of the jump form."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else {}
    if query:
        query.pop(param, None)
    hidden = [(k, v) for k, values in query.lists() for v in values] if query else []
    prefix = f"?{query.urlencode()}&" if query else "?"
    paginator = page.paginator
    return {
        "page": page,
        "numbers": page_numbers(page.number, paginator.num_pages),
        "prefix": prefix,
        "param": param,
        "anchor": anchor,
        "hidden": hidden,
    }
