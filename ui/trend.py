"""A network run's verdict, as the explosion and initialisation lessons both show it."""

from __future__ import annotations

import streamlit as st

from ui.text import t


def show_trend(result, place=st) -> None:
    """A network run's verdict (core.network.NetResult): stable, explodes or vanishes."""
    from core import values  # here, not above: the home page opens without loading torch
    stds = result.layers["std"]
    finite = stds[values.finite_positive(stds)]
    if result.trend == "stable":
        place.success(t("explosion.stable", low=finite.min(), high=finite.max()))
    elif result.trend == "explodes":
        place.error(t("explosion.explodes", factor=result.growth))
    else:
        place.warning(t("explosion.vanishes", factor=result.growth))
