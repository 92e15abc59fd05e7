"""Tests that a similar pair names its partner only for one of its own items."""

from __future__ import annotations

import pytest

from crmcore import ValidationError
from crmcore.recommendations import SimilarItems


def test_the_partner_of_either_item_is_the_other() -> None:
    pair = SimilarItems("extender", "router", common=2, item_count=2, other_count=3)
    assert (pair.partner("router"), pair.partner("extender")) == ("extender", "router")


def test_an_item_outside_the_pair_is_refused() -> None:
    pair = SimilarItems("extender", "router", common=2, item_count=2, other_count=3)
    with pytest.raises(ValidationError) as info:
        pair.partner("modem")
    assert (info.value.path, info.value.code) == ("$.item", "not_in_pair")
