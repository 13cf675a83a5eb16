"""Page-number pagination that stays fast on very large tables.

`COUNT(*)` over a million rows costs more than the page itself. `EstimatedCountPaginator`
counts exactly up to `EXACT_COUNT_LIMIT` rows (a count of a LIMITed subquery, cheap with
any index the page uses) and above that asks PostgreSQL's planner for its estimate;
`LargeTablePagination` adds `count_is_estimate` to the page so clients can say "about".
"""

import json
from collections import OrderedDict
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

EXACT_COUNT_LIMIT = 1_000


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` returns; None elsewhere."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Exact counts up to EXACT_COUNT_LIMIT rows, the planner's estimate above."""

    count_is_estimate = False
    exact_count_limit = EXACT_COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        exact = self.object_list.order_by()[: self.exact_count_limit + 1].count()
        if exact <= self.exact_count_limit:
            return exact
        estimate = planner_estimate(self.object_list)
        if estimate is None:
            return self.object_list.count()
        self.count_is_estimate = True
        return max(estimate, exact)


class LargeTablePagination(PageNumberPagination):
    """PageNumberPagination with `count_is_estimate` beside `count`."""

    django_paginator_class = EstimatedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        body = OrderedDict(response.data)
        body["count_is_estimate"] = self.page.paginator.count_is_estimate
        body.move_to_end("count_is_estimate", last=False)
        body.move_to_end("count", last=False)
        response.data = body
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": f"True when over {EXACT_COUNT_LIMIT:,} rows match: `count` is then "
            "the database's estimate.",
        }
        return paginated
