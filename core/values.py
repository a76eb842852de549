"""Checks on computed values shared by the computations and the charts that plot them."""

from __future__ import annotations

import math

import pandas as pd


def finite_positive(values: pd.Series) -> pd.Series:
    """True where a value is finite and above zero (so it can sit on a log axis)."""
    return values.map(lambda v: math.isfinite(v) and v > 0)


def agreeing_digits(value: float, reference: float) -> int:
    """How many leading significant digits of value agree with reference's (0 when their
    magnitudes differ), as both print with 17 significant digits. A value that is not finite
    agrees in every digit only with itself (inf with inf), nan with nothing."""
    if not (math.isfinite(value) and math.isfinite(reference)):
        return 17 if value == reference else 0
    mine, theirs = f"{value:.16e}", f"{reference:.16e}"
    (mine_digits, mine_exp), (their_digits, their_exp) = mine.split("e"), theirs.split("e")
    if mine_exp != their_exp or (value < 0) != (reference < 0):
        return 0
    same = 0
    for a, b in zip(mine_digits.replace(".", ""), their_digits.replace(".", ""), strict=True):
        if a != b:
            break
        same += 1
    return same
