"""A traffic table's ``error`` column read by its meaning: text from a CSV says
"false" for a request that did not fail, and ``bool("false")`` is True."""

from __future__ import annotations

from typing import Any

import pytest

from pilotdeck.domain.rollout import Plan


@pytest.mark.parametrize(("error", "failed"), [
    (["false", "False", "true", ""], 1), ([0, 1, 0, 0], 1), ([False, True, None, False], 1)])
def test_a_traffic_tables_error_column_is_read_by_its_meaning(error: list[Any],
                                                               failed: int) -> None:
    import pyarrow as pa

    from pilotdeck.services.rollout_sim import pools_from

    plan = Plan.parse({"gates": [{"name": "errorRate"}]})
    table = pa.table({"variant": ["champion", "challenger"] * 2, "latency_ms": [1.0] * 4,
                      "error": error})
    pools = pools_from(table, plan, "traffic")
    assert sum(int(pool.error.sum()) for pool in pools.values()) == failed


def test_a_traffic_tables_error_column_of_other_words_is_refused() -> None:
    import pyarrow as pa

    from pilotdeck.domain.errors import ValidationFailed
    from pilotdeck.services.rollout_sim import pools_from

    table = pa.table({"variant": ["champion", "challenger"] * 2, "latency_ms": [1.0] * 4,
                      "error": ["no", "yes", "no", "no"]})
    with pytest.raises(ValidationFailed, match="traffic.error"):
        pools_from(table, Plan.parse({"gates": [{"name": "errorRate"}]}), "traffic")


def test_webhooks_refuse_internal_addresses_unless_allowed() -> None:
    from pilotdeck.services.rollout_webhooks import _internal

    for host in ("127.0.0.1", "169.254.169.254", "10.1.2.3", "localhost", "::1"):
        assert _internal(host) is not None, host
    assert _internal("93.184.216.34") is None  # a public address (no lookup needed)
