"""check_listing_total: a listing is whole only when it matches the count the vendor reported."""

import pytest

from hub.plugins import VendorDataError, check_listing_total


@pytest.mark.parametrize(("listed", "total"), [(3, 3), (0, 0), (5, None)])
def test_a_listing_that_matches_its_total_or_has_none_passes(listed, total):
    check_listing_total(listed, total, "GET /customers")


@pytest.mark.parametrize(("listed", "total", "words"), [
    (149, 150, "listed 149 customer(s) but reported a total of 150"),
    (151, 150, "listed 151 customer(s) but reported a total of 150"),
    (3, "3", "a total of '3', which is not a count"),
    (3, True, "a total of True, which is not a count"),
    (3, -1, "a total of -1, which is not a count"),
])
def test_a_mismatch_or_a_total_that_is_not_a_count_is_a_data_error(listed, total, words):
    with pytest.raises(VendorDataError, match="GET /customers") as err:
        check_listing_total(listed, total, "GET /customers")
    assert words in err.value.message
