"""A lake written by the old Parquet log writer (``writer.ParquetLog``), for the
migration tests and the prediction-log benchmark."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any


def write_old_log(root: Path, kind: str, records: list[dict[str, Any]]) -> None:
    """``records`` written under ``root/kind`` exactly as the pre-Delta gateway did."""
    from pilotdeck.adapters.lake.writer import FEEDBACK_SCHEMA, PREDICTION_SCHEMA, ParquetLog

    schema = PREDICTION_SCHEMA if kind == "predictions" else FEEDBACK_SCHEMA
    writer = ParquetLog(root / kind, schema, flush_s=60, max_rows=10**9)

    async def go() -> None:
        for r in records:
            writer.append(r)
        await writer.close()

    asyncio.run(go())
