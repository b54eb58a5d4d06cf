"""Keyset pages (connections/keyset.py): the error log and the audit log page through these."""

import pytest

from connections import keyset
from monitoring.models import ErrorLog
from tests.monitoring.factories import make_errors


@pytest.mark.parametrize("same_moment", [False, True])
def test_pages_walk_every_row_once_in_order_both_ways(connection_a, same_moment):
    make_errors(connection_a, 23, same_moment=same_moment)
    errors = ErrorLog.objects.newest_first()
    expected = list(errors.values_list("pk", flat=True))
    pages, page = [], keyset.keyset_page(errors, size=5)
    while True:
        pages.append([e.pk for e in page.rows])
        if not page.older:
            break
        page = keyset.keyset_page(errors, before=page.older, size=5)
    assert [pk for chunk in pages for pk in chunk] == expected
    assert [len(chunk) for chunk in pages] == [5, 5, 5, 5, 3]
    back = []
    while page.newer:
        page = keyset.keyset_page(errors, after=page.newer, size=5)
        back.append([e.pk for e in page.rows])
    assert back == list(reversed(pages[:-1]))
    assert page.is_first
