"""Pages of long lists on the web UI, and links to other pages of the same filtered list."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def page_of(request, items, size: int) -> Page:
    return Paginator(items, size).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The list's filters as a query string, to which the templates add ``page=N``."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
