"""The base of every view: camelCase JSON, snake_case attributes, immutable."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class View(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True,
                              extra="forbid", ser_json_inf_nan="null")

    def dump(self) -> dict[str, Any]:
        """JSON-ready data with camelCase keys (what the API returns)."""
        return self.model_dump(mode="json", by_alias=True)
