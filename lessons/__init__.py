"""The pages, one file each: home.py, then the lessons in the course's order.

LESSONS is the one list the navigation (app.py), the home page, the page-generic tests and the
benchmarks read: lesson NAME lives in lessons/NAME.py and opens at the URL /NAME.
"""

LESSONS = ("explosion", "init", "loss", "optim", "schedules", "inside", "regularisation",
           "normalisation", "lab", "terrain")
# The lessons that go past the course's own (the home page counts the others as the course's)
BEYOND_THE_COURSE = ("lab", "terrain")

# Lessons whose tabs run only the open one (ui.links.sections): the tab ids, the first opening by
# default. The link parameter NAME_tab takes an id; the benchmarks time every tab.
TABS = {"init": ("gains", "methods", "derivations", "table"),
        "optim": ("lr", "momentum", "paths", "anatomy", "sweep"),
        "schedules": ("curves", "applied", "range"),
        "inside": ("tensorboard", "hooks", "resume", "freeze"),
        "regularisation": ("fit", "scaling", "decay"),
        "normalisation": ("batchnorm", "layers"),
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
    # the optimiser lesson: optim_<tab>_<field>, the landscape tab's own optim_<field>
    "optim_lr_min": "optim_lr_lr_min", "optim_lr_max": "optim_lr_lr_max",
    "optim_lr_count": "optim_lr_lr_count", "optim_lr_iters": "optim_lr_iterations",
    "optim_betas": "optim_momentum_betas", "optim_points": "optim_momentum_points",
    "optim_mom": "optim_momentum_momentum", "optim_mom_lr": "optim_momentum_lr_momentum",
    "optim_plain_lr": "optim_momentum_lr_plain", "optim_mom_iters": "optim_momentum_iterations",
    "optim_land": "optim_landscape", "optim_cond": "optim_condition", "optim_x0": "optim_start_x",
    "optim_y0": "optim_start_y", "optim_forget": "optim_forget_zero_grad",
    "optim_ex_seed": "optim_exercise_seed", "optim_ex_k": "optim_exercise_k",
    "optim_anat_run": "optim_anatomy_run", "optim_anat_k": "optim_anatomy_k",
    "optim_sw_land": "optim_sweep_landscape", "optim_sw_cond": "optim_sweep_condition",
    "optim_sw_x0": "optim_sweep_start_x", "optim_sw_y0": "optim_sweep_start_y",
    "optim_sw_lr_min": "optim_sweep_lr_min", "optim_sw_lr_max": "optim_sweep_lr_max",
    "optim_sw_lr_n": "optim_sweep_lr_count", "optim_sw_m_min": "optim_sweep_momentum_min",
    "optim_sw_m_max": "optim_sweep_momentum_max", "optim_sw_m_n": "optim_sweep_momentum_count",
    "optim_sw_steps": "optim_sweep_steps", "optim_sw_metric": "optim_sweep_metric",
    "optim_sw_tol": "optim_sweep_tol", "optim_sw_nesterov": "optim_sweep_nesterov",
    # the schedules lesson: schedules_<field>
    "schedules_land": "schedules_landscape", "schedules_land_lr": "schedules_landscape_lr",
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
    **{f"loss_opt_{name}": f"loss_options_{name}"
       for name in ("beta", "blank", "delta", "distance_function", "eps", "full", "ignore_index",
                    "label_smoothing", "log_input", "log_target", "margin", "p", "soft_target",
                    "swap", "through_sigmoid", "zero_infinity")},
}
