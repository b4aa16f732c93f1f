from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """The shape of every list (``docintel.api.listing`` builds it in one query): ``?page=N`` or
    ``?cursor=C``, ``&page_size=M``; answers ``{"count", "count_exact", "next", "previous",
    "next_cursor", "results"}``. Here for the OpenAPI schema of list operations."""

    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count_exact"] = {
            "type": "boolean", "description": f"false past {settings.API_EXACT_COUNT_LIMIT} rows: count is "
                                              "then an estimate (unfiltered) or a lower bound (filtered)"}
        described["properties"]["next_cursor"] = {
            "type": "string", "nullable": True,
            "description": "Pass as ?cursor= for the next page (keyset: the same cost at any depth)"}
        return described

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view), {
            "name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
            "description": "Where the page starts: next_cursor of the previous page (instead of page)"}]
