"""CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci/run").read_text().splitlines()
    assert any("streamlit run app.py" in c for c in commands)


def test_ci_also_runs_the_core_tests_on_torchs_portable_kernels():
    """Float32 results that accumulate over many operations differ in low digits between CPU
    kernels: a test that holds only on this CPU's kernels fails in CI, not on a user's machine."""
    ci = (ROOT / ".ci/run").read_text().splitlines()
    assert "ATEN_CPU_CAPABILITY=default python -m pytest tests/core" in ci
    assert "set -euo pipefail" in ci


def test_ci_installs_no_cjk_font():
    """The Chinese screenshots and font checks run where only the app's own font draws Chinese."""
    installs = [line for line in (ROOT / ".ci/run").read_text().splitlines()
                if "apt-get install" in line]
    assert installs and not any("fonts-" in line for line in installs)
