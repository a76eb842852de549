"""A network run's verdict, as the explosion and initialisation lessons both show it."""

from __future__ import annotations

import streamlit as st

from ui.text import t


def show_trend(result, place=st, view: str | None = None) -> None:
    """A network run's verdict (core.network.NetResult): stable, explodes or vanishes; named by
    its view ("A (pinned): Stable ...") when two runs are compared."""
    from core import values  # here, not above: the home page opens without loading torch
    stds = result.layers["std"]
    finite = stds[values.finite_positive(stds)]
    if result.trend == "stable":
        place.success(named(view, t("explosion.stable", low=finite.min(), high=finite.max())))
    elif result.trend == "explodes":
        place.error(named(view, t("explosion.explodes", factor=result.growth)))
    else:
        place.warning(named(view, t("explosion.vanishes", factor=result.growth)))


def named(view: str | None, text: str) -> str:
    """text as said by one of two compared views ("A (pinned): ..."), or as is."""
    return text if view is None else t("explosion.named", view=view, text=text)
