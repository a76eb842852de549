"""What every lesson does with the Config its controls describe: validate it, say what was wrong
(and stop) or what was adjusted, and offer the pin bar, so the page goes on with B and A."""

from __future__ import annotations

from collections.abc import Callable

from core.errors import InputError
from ui.compare import pinned_view
from ui.panels import show_error, show_notices


def checked_views(lesson: str, config, validate: Callable, restore: Callable, bar=None):
    """(B, A): the controls' Config validated, and the pinned view A (None when nothing is
    pinned), after showing the notices of what was clamped and the pin bar with the line naming
    what differs. None, with the error shown next to the controls' view, when the Config cannot
    be used: the caller stops, and what the user typed stays in the controls. bar: a row of the
    page's own for the pin buttons (ui.compare.pin_bar)."""
    try:
        config, notices = validate(config)
    except InputError as error:
        show_error(error)
        return None
    show_notices(notices)
    return config, pinned_view(lesson, config, restore, validate, bar)
