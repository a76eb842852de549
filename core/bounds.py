"""Named bounds for every size a user can set, and the clamping that enforces them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import InputError, Notice


@dataclass(frozen=True)
class Bound:
    field: str
    low: float
    high: float

    def clamp(self, value: float, notices: list[Notice]) -> float:
        """Return value inside [low, high]; record a notice when it had to move."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise InputError("error.not_a_number", field=self.field, value=value)
        clamped = min(max(value, self.low), self.high)
        if clamped != value:
            notices.append(
                Notice("notice.clamped", {"field": self.field, "value": value, "low": self.low,
                                          "high": self.high, "used": clamped})
            )
        return type(value)(clamped) if isinstance(value, int) else float(clamped)
