"""Run a "show the PyTorch code" script the way a student would, and read what it prints.

In-process (a fresh namespace, stdout captured, torch's global RNG saved and restored): a new
Python that imports torch costs about 2 s per script, which made most of the core tests' time."""

from __future__ import annotations

import contextlib
import io

import torch


def run_script(script: str) -> str:
    """What script prints. It runs as __main__, in its own namespace; torch's global random state
    and thread count are as before afterwards, so a script's manual_seed cannot leak into a test."""
    printed = io.StringIO()
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(printed):
        exec(compile(script, "<shown script>", "exec"), {"__name__": "__main__"})  # noqa: S102
    torch.set_num_threads(threads)
    return printed.getvalue()


def printed_lines(script: str) -> list[str]:
    return run_script(script).splitlines()
