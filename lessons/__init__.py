"""The pages, one file each: home.py, then the lessons in the course's order.

LESSONS is the one list the navigation (app.py), the home page, the page-generic tests and the
benchmarks read: lesson NAME lives in lessons/NAME.py and opens at the URL /NAME.
"""

LESSONS = ("explosion", "init", "loss", "optim", "schedules", "regularisation",
           "normalisation", "lab")

# Lessons whose tabs run only the open one (ui.links.sections): the tab ids, the first opening by
# default. The link parameter NAME_tab takes an id; the benchmarks time every tab.
TABS = {"init": ("gains", "methods", "derivations", "table"),
        "optim": ("lr", "momentum", "paths", "anatomy", "sweep"),
        "schedules": ("curves", "applied", "range"),
        "regularisation": ("fit", "scaling", "decay"),
        "normalisation": ("batchnorm", "layers")}


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
}
