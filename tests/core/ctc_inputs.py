"""Hypothesis strategy for CTCLoss's tables (logits N·T × C, targets N × S, lengths): valid
input, each sample's input length at least what its target needs unless zero_infinity is on."""

from hypothesis import strategies as st

from core import losses
from core.losses.sequence import needed_length


@st.composite
def ctc_configs(draw):
    n, t_max, c, s = (draw(st.integers(1, 3)), draw(st.integers(1, 8)), draw(st.integers(2, 5)),
                      draw(st.integers(1, 4)))
    blank = draw(st.integers(0, c - 1))
    zero_infinity = draw(st.booleans())
    labels = [k for k in range(c) if k != blank]
    logits = [[draw(st.floats(-5, 5, width=32)) for _ in range(c)] for _ in range(n * t_max)]
    targets, input_lengths, target_lengths = [], [], []
    for _ in range(n):
        target = [draw(st.sampled_from(labels)) for _ in range(s)]
        length = draw(st.integers(0, s))
        while not zero_infinity and needed_length(target[:length]) > t_max:
            length -= 1  # a feasible target: an infeasible one is an input error
        low = 1 if zero_infinity else max(needed_length(target[:length]), 1)
        targets.append(target)
        target_lengths.append(length)
        input_lengths.append(draw(st.integers(low, t_max)))
    tables = {"logits": tuple(tuple(repr(v) for v in row) for row in logits),
              "targets": tuple(tuple(str(v) for v in row) for row in targets),
              "input_lengths": tuple((str(v),) for v in input_lengths),
              "target_lengths": tuple((str(v),) for v in target_lengths)}
    return losses.config("CTCLoss", tables, {"blank": blank, "zero_infinity": zero_infinity},
                         draw(st.sampled_from(losses.REDUCTIONS)))
