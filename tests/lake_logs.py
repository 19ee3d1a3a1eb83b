"""Records written to a platform's prediction and feedback logs through the lake's own
log writers (what the gateway uses), for tests that need traffic without a gateway."""

from __future__ import annotations

import asyncio
from typing import Any

from pilotdeck.platform import Platform


def write_logs(platform: Platform, predictions: list[dict[str, Any]],
               feedback: list[dict[str, Any]]) -> None:
    async def go() -> None:
        for writer, records in ((platform.lake.prediction_log(60, 10**9), predictions),
                                (platform.lake.feedback_log(60, 10**9), feedback)):
            for r in records:
                writer.append(r)
            await writer.flush()

    asyncio.run(go())
