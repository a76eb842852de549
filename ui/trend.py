"""A network run's verdicts, forward and backward, as the explosion and initialisation lessons both
show them: each sentence computed from the run it is about."""

from __future__ import annotations

import math

import streamlit as st

from ui.text import t


def show_trend(result, place=st, view: str | None = None) -> None:
    """A network run's forward verdict (core.network.NetResult): stable, explodes or vanishes;
    named by its view ("A (pinned): Stable ...") when two runs are compared."""
    from core import values  # here, not above: the home page opens without loading torch
    stds = result.layers["std"]
    finite = stds[values.finite_positive(stds)]
    if result.trend == "stable":
        place.success(named(view, t("explosion.stable", low=finite.min(), high=finite.max())))
    elif result.trend == "explodes":
        place.error(named(view, t("explosion.explodes", factor=result.growth)))
    else:
        place.warning(named(view, t("explosion.vanishes", factor=result.growth)))


def show_backward(config, result, place=st, view: str | None = None) -> None:
    """The run's backward verdict (core.network.backward_verdict): the first and the last layer's
    weight gradients, their scale against a network whose every layer has std 1 and their ratio,
    then what each layer multiplies the gradient by (core.network.backward_factors)."""
    from core import network
    verdict = network.backward_verdict(config, result)
    first, last = verdict["first_grad_scale"], verdict["last_grad_scale"]
    if verdict["backward_healthy"]:
        kind, show = "ok", place.success
    elif not all(math.isfinite(v) for v in (verdict["first"], verdict["last"])):
        kind, show = "nonfinite", place.error
    elif first > network.HEALTHY[1] or last > network.HEALTHY[1]:
        kind, show = "exploded", place.error
    elif first < network.HEALTHY[0] or last < network.HEALTHY[0]:
        kind, show = "vanished", place.warning
    else:
        kind, show = "uneven", place.warning
    message = t(f"explosion.backward_{kind}", **verdict)
    if "first64" in verdict:
        message += " " + t("explosion.backward_float64", **verdict)
    show(named(view, message))
    factors = network.backward_factors(config, result)
    if factors["layers"]:
        key = "explosion.backward_factor_bn" if config.batchnorm else "explosion.backward_factor"
        place.caption(named(view, t(key, **factors)))


def named(view: str | None, text: str) -> str:
    """text as said by one of two compared views ("A (pinned): ..."), or as is."""
    return text if view is None else t("explosion.named", view=view, text=text)
