"""The pages, one file each: home.py, then the lessons in the course's order.

LESSONS is the one list the navigation (app.py), the home page, the page-generic tests and the
benchmarks read: lesson NAME lives in lessons/NAME.py and opens at the URL /NAME.
"""

LESSONS = ("explosion", "init", "loss", "optim", "schedules", "inside", "lab", "terrain")

# Lessons whose tabs run only the open one (ui.links.sections): the tab ids, the first opening by
# default. The link parameter NAME_tab takes an id; the benchmarks time every tab.
TABS = {"init": ("gains", "methods", "derivations", "table"),
        "optim": ("lr", "momentum", "paths", "anatomy", "sweep"),
        "schedules": ("curves", "applied", "range"),
        "inside": ("tensorboard", "hooks", "resume", "freeze"),
        "terrain": ("sharpness", "surface", "noise", "weights")}


def script(name: str) -> str:
    """The page file of a lesson (or of "home"), as st.Page and st.page_link take it."""
    return f"lessons/{name}.py"

# Link parameters renamed since links were shared (old -> new): app.py reads each old one as its
# new one, so a link made before the change still opens the same view. A control's parameter is
# derived from its lesson and its Config field (ui.widgets.key_of).
RENAMED_PARAMS: dict[str, str] = {
    "ex_std": "explosion_init_std", "ex_act": "explosion_activation",
    "ex_slope": "explosion_negative_slope", "ex_depth": "explosion_depth",
    "ex_width": "explosion_width", "ex_batch": "explosion_batch", "ex_seed": "explosion_seed",
    "ex_pin": "explosion_pin",
    "init_depth": "init_matrix_depth", "init_width": "init_matrix_width",
    "init_batch": "init_matrix_batch", "init_slope": "init_matrix_negative_slope",
    "init_seed": "init_matrix_seed", "init_act": "init_activation",
    "init_samples": "init_gains_samples", "init_gain_seed": "init_gains_seed",
    "init_fan_in": "init_draw_fan_in", "init_fan_out": "init_draw_fan_out",
    "init_method": "init_draw_init_method",
    # a method's parameter had a control of its own per method (init_<method>_<field>)
    **{f"init_{method}_{field}": f"init_draw_init_{field}" for method, fields in {
        "normal": ("mean", "std"), "uniform": ("low", "high"),
        "trunc_normal": ("mean", "std", "trunc_low", "trunc_high"), "constant": ("value",),
        "orthogonal": ("gain",), "sparse": ("sparsity", "std"),
        "xavier_uniform": ("gain",), "xavier_normal": ("gain",),
        "kaiming_uniform": ("a", "mode", "nonlinearity"),
        "kaiming_normal": ("a", "mode", "nonlinearity")}.items() for field in fields},
    "lab_data": "lab_dataset", "lab_test": "lab_test_percent", "lab_act": "lab_activation",
    "lab_opt": "lab_optimizer", "lab_skip": "lab_skip_bad_rows", "lab_depth": "lab_hidden_layers",
    **{f"lab_w{layer}": f"lab_width_{layer}" for layer in range(1, 11)},
    **{f"lab_f_{name}": f"lab_feature_{name}"
       for name in ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")},
}
