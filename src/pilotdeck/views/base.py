"""The base of every view: camelCase JSON, snake_case attributes, immutable."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class View(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True,
                              extra="forbid", ser_json_inf_nan="null")

    def dump(self) -> dict[str, Any]:
        """JSON-ready data with camelCase keys (what the API returns).

        Through pydantic's JSON serialiser, so a non-finite number becomes null
        here as in the API's answers (``model_dump(mode="json")`` would keep it,
        and ``json.dumps`` would then print a bare ``Infinity``: invalid JSON)."""
        data: dict[str, Any] = orjson.loads(self.model_dump_json(by_alias=True))
        return data
