"""Tests for `crmcore.commerce._order_lines`."""

import pytest

from crmcore import ValidationError
from crmcore.commerce import ReturnedLine


@pytest.mark.parametrize("line", [-1, 500, 2**63])
def test_a_returned_line_names_an_index_an_order_can_have(line):
    """The index is below the most lines an order holds (2**63 could never be written back)."""
    with pytest.raises(ValidationError) as info:
        ReturnedLine(line, 1)
    assert "$.line" == info.value.path
    assert 499 == ReturnedLine(499, 1).line
