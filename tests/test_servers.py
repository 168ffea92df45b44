"""The test servers of tests/servers.py are configured for what the tests ask."""

from __future__ import annotations

import urllib.parse
import urllib.request

from tests.servers import Server

#: Answered in about 0.05 s; Virtuoso's cost model "estimates" it at 2877 s.
OVERESTIMATED = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 1"


def test_virtuoso_refuses_no_query_for_its_estimated_cost(virtuoso: Server) -> None:
    """With MaxQueryCostEstimationTime = 400 this failed with 'The estimated execution time
    2877 (sec) exceeds the limit of 400 (sec)'."""
    url = f"{virtuoso.query}?{urllib.parse.urlencode({'query': OVERESTIMATED})}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert response.headers.get("X-SQL-State") is None  # not a partial "anytime" answer
        assert b'"bindings"' in response.read()
