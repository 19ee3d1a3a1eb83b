"""Contract of the lineage transport port (``domain/ports/lineage.py``): an event
is delivered as it was given, and a failure raises (the service counts it).
Run against the OpenLineage HTTP transport and a real local HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pilotdeck.domain.errors import ValidationFailed
from tests.contract.conftest import closed_port
from tests.lineage_receiver import Receiver

EVENT = {"eventType": "COMPLETE", "eventTime": "2026-11-25T12:00:00+00:00",
         "run": {"runId": "01934f5e-0000-7000-8000-000000000001", "facets": {}},
         "job": {"namespace": "pilotdeck", "name": "batch.score", "facets": {}},
         "inputs": [{"namespace": "file", "name": "/in.parquet", "facets": {}}],
         "outputs": [], "producer": "https://github.com/pilotdeck/pilotdeck",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_an_event_arrives_as_it_was_given(receiver: Receiver) -> None:
    from pilotdeck.adapters.lineage import make_lineage_transport

    make_lineage_transport(receiver.url).emit(EVENT)
    assert receiver.bodies == [EVENT] and receiver.paths == ["/api/v1/lineage"]


def test_a_refusal_or_an_absent_collector_raises_at_once(receiver: Receiver) -> None:
    import time

    from pilotdeck.adapters.lineage import make_lineage_transport

    receiver.status = 503
    with pytest.raises(Exception):  # noqa: B017 - any error: the service catches them all
        make_lineage_transport(receiver.url).emit(EVENT)
    assert len(receiver.bodies) == 1  # no retries
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017
        make_lineage_transport(f"http://127.0.0.1:{closed_port()}").emit(EVENT)
    assert time.monotonic() - started < 5


def test_an_unknown_scheme_is_a_field_error_without_the_url() -> None:
    from pilotdeck.adapters.lineage import make_lineage_transport

    with pytest.raises(ValidationFailed) as err:
        make_lineage_transport("kafka://user:secret@host/topic")
    assert "secret" not in str(err.value)
