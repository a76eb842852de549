"""Hypothesis strategies for the losses whose tables are not N × C: CTCLoss's (logits N·T × C,
targets N × S, lengths: valid input, each sample's input length at least what its target needs
unless zero_infinity is on) and LinearCrossEntropyLoss's (inputs N × F, the weight matrix C × F,
class indices or probabilities, a class weight or none)."""

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


NUMBER = st.floats(-4, 4, width=32).filter(lambda x: x == 0 or abs(x) >= 1e-6)


def _text(rows) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(repr(v) for v in row) for row in rows)


@st.composite
def linear_configs(draw):
    n, features, c = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    soft = draw(st.booleans())
    options = {"soft_target": soft, "label_smoothing": draw(st.sampled_from([0.0, 0.1, 1.0])),
               "ignore_index": draw(st.sampled_from([-100, 0]))}
    tables = {"inputs": _text([[draw(NUMBER) for _ in range(features)] for _ in range(n)]),
              "linear_weight": _text([[draw(NUMBER) for _ in range(features)]
                                      for _ in range(c)])}
    if soft:
        tables["target"] = _text([[draw(st.floats(0, 1, width=32)) for _ in range(c)]
                                  for _ in range(n)])
    else:
        choices = list(range(c)) + [options["ignore_index"]]
        tables["target"] = tuple((str(draw(st.sampled_from(choices))),) for _ in range(n))
    if draw(st.booleans()):
        tables["weight"] = _text([[draw(st.floats(0.25, 5, width=32)) for _ in range(c)]])
    return losses.config("LinearCrossEntropyLoss", tables, options,
                         draw(st.sampled_from(["none", "sum", "mean"])))
