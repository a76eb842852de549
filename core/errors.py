"""The two things a user can be told about their input: it was wrong, or it was adjusted."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import text


class InputError(ValueError):
    """Input the user can fix. Carries a text key and its parameters, so each language can say it;
    str() gives the English message, which names the field and the rule."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(text.lookup("en", key, **params))


@dataclass(frozen=True)
class Notice:
    """A value that was clamped or ignored: shown next to the result, never silently applied."""

    key: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return text.lookup("en", self.key, **self.params)
