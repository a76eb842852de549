"""Regularisation, as the course teaches it (its lessons 24 and 25) and one step beyond.

fit: the course's 10-point regression and 200-wide MLP, two networks trained side by side (plain,
and with weight decay or dropout), in chunks so that a page can redraw between them.
scaling: Dropout's 1/(1 − p) scaling, on the course's Dropout(0.5) + Linear(10000, 1).
decay: weight decay inside SGD, the same L2 term added to the loss, Adam's weight_decay and AdamW's
decoupled decay, on the same data and the same initial network.
"""
