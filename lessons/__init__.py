"""The pages, one file each: home.py, then the lessons in the course's order.

LESSONS is the one list the navigation (app.py), the home page, the page-generic tests and the
benchmarks read: lesson NAME lives in lessons/NAME.py and opens at the URL /NAME.
"""

LESSONS = ("explosion", "init", "loss", "optim")


def script(name: str) -> str:
    """The page file of a lesson (or of "home"), as st.Page and st.page_link take it."""
    return f"lessons/{name}.py"
