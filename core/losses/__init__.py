"""Loss functions step by step: every torch.nn loss in the registry (core.losses.registry), one
entry each, in a module per family; typed tables parsed and checked (tables), the hand
computation against torch (compute)."""

# the families register their entries on import, in the page's order
from core.losses import (  # noqa: F401, I001
    classification, linear, binary, regression, ranking, likelihood, divergence, multilabel,
    sequence)
from core.losses.compute import (CLASSES, MAX_COLUMNS, MAX_ROWS, Comparison, LossConfig,
                                 LossResult, classes, comparable, compare, config, entry,
                                 fit_tables, from_preset, options_of, parse, run, to_script,
                                 validate, views)
from core.losses.registry import (FAMILIES, LOSSES, NOT_OFFERED, REDUCTIONS, Family, Loss, Preset,
                                  presets, register)
from core.losses.tables import Table, TableSpec, decode, encode

__all__ = ["CLASSES", "FAMILIES", "LOSSES", "MAX_COLUMNS", "MAX_ROWS", "NOT_OFFERED",
           "REDUCTIONS", "Comparison", "Family", "Loss", "LossConfig", "LossResult",
           "Preset", "Table", "TableSpec", "classes", "comparable", "compare", "config",
           "decode", "encode", "entry", "fit_tables", "from_preset", "options_of", "parse",
           "presets", "register", "run", "to_script", "validate", "views"]
