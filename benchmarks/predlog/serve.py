"""The gateway with the prediction log of ``argv[2]``: ``delta`` (today's) or
``parquet`` (the writer it replaced, kept for this comparison)."""

from __future__ import annotations

import sys

import uvicorn

from pilotdeck.adapters.lake import LocalLake
from pilotdeck.adapters.lake.writer import FEEDBACK_SCHEMA, PREDICTION_SCHEMA, ParquetLog
from pilotdeck.config import Settings
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform

if sys.argv[2] == "parquet":
    def _old(schema, kind):  # type: ignore[no-untyped-def]
        def make(self: LocalLake, flush_s: float, max_rows: int) -> ParquetLog:
            return ParquetLog(self.root / f"{kind}-parquet", schema, flush_s, max_rows)
        return make

    LocalLake.prediction_log = _old(PREDICTION_SCHEMA, "predictions")  # type: ignore[method-assign]
    LocalLake.feedback_log = _old(FEEDBACK_SCHEMA, "feedback")  # type: ignore[method-assign]

uvicorn.run(create_gateway(Platform(Settings())), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False)
