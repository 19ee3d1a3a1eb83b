"""The gateway's prediction log and feedback as catalogued datasets.

They are Delta tables the gateway writes (``adapters/lake/delta_log.py``); once
the first request is logged they are entered in the catalogue as system
datasets, so they get versions, grants and lineage like any other: owner
``platform``, tagged ``pii`` (requests may carry personal data), written by
pilotdeck only.
"""

from __future__ import annotations

from pilotdeck.audit.log import utcnow
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store

__all__ = ["SYSTEM", "catalogue_logs"]

SYSTEM = ("predictions", "feedback")


def catalogue_logs(store: Store, lake: Lake) -> bool:
    """Enter the logs that exist and are not catalogued yet; True once both are."""
    tables = dict(zip(SYSTEM, (lake.prediction_table_uri, lake.feedback_table_uri),
                      strict=True))
    with store.read() as uow:
        missing = [n for n in tables if uow.datasets.get(n) is None]
    done = True
    for name in missing:
        uri = tables[name]()
        if not lake.datasets.exists(uri):
            done = False  # no request logged yet: look again next time
            continue
        with store.write() as uow:
            if uow.datasets.get(name) is not None:
                continue
            uow.datasets.add(name=name, uri=uri, owner="platform",
                             description=f"the gateway's {name} log (written by pilotdeck, "
                                         "partitioned by pilot and date)",
                             tags=["domain:serving", "pii"], columns={},
                             created_by="pilotdeck", now=utcnow(), system=True)
            uow.audit.record("pilotdeck", "dataset.registered", "dataset", name,
                             {"system": True, "owner": "platform"})
    return done
