"""One Setting type: parsing, bounds and choices, and a Config's settings read from its fields."""

from dataclasses import dataclass, field

import pytest

from core.errors import InputError
from core.settings import Setting, setting, settings_of, validate_settings, value_at, with_values


@dataclass(frozen=True)
class Inner:
    std: float = setting(1.0, low=0.0, high=10.0)
    method: str = "normal_"  # not a setting: never drawn, never checked


@dataclass(frozen=True)
class Outer:
    depth: int = setting(100, low=1, high=200)
    activation: str = setting("relu", choices=("relu", "tanh"))
    slope: float = setting(0.01, low=0.0, high=1.0,
                           shown=lambda values: values.get("activation") == "leaky_relu")
    milestones: tuple = setting((50, 125), low=0, high=1000)
    batchnorm: bool = setting(False)
    inner: Inner = field(default_factory=Inner)


def test_a_configs_settings_are_its_declared_fields_then_its_nested_ones():
    found = settings_of(Outer)
    assert list(found) == ["depth", "activation", "slope", "milestones", "batchnorm",
                           "inner.std"]
    assert [s.kind for s in found.values()] == ["int", "choice", "float", "ints", "bool",
                                                "float"]
    assert found["depth"].name == "depth" and found["depth"].default == 100
    assert found["inner.std"].high == 10.0


def test_values_are_read_and_set_at_dotted_paths():
    config = with_values(Outer(), {"depth": 7, "inner.std": 0.5})
    assert (config.depth, config.inner.std, config.inner.method) == (7, 0.5, "normal_")
    assert value_at(config, "inner.std") == 0.5
    assert Outer().inner.std == 1.0  # the original is untouched


def test_validation_clamps_each_with_a_notice_and_keeps_the_rest():
    notices = []
    config = validate_settings(with_values(Outer(), {"depth": 500, "inner.std": -1.0,
                                                     "milestones": "160, 50 9999"}), notices)
    assert (config.depth, config.inner.std, config.milestones) == (200, 0.0, (50, 160, 1000))
    assert [(n.key, n.params["field"], n.params["used"]) for n in notices] == [
        ("notice.clamped", "depth", 200), ("notice.clamped", "milestones", 1000),
        ("notice.clamped", "inner.std", 0.0)]
    assert isinstance(config.depth, int)


@pytest.mark.parametrize(("path", "value", "key"), [
    ("depth", "ten", "error.not_a_number"),
    ("depth", 2.5, "error.not_int"),
    ("depth", float("nan"), "error.not_a_number"),
    ("depth", float("inf"), "error.not_a_number"),
    ("depth", True, "error.not_a_number"),
    ("activation", "gelu", "error.unknown_choice"),
    ("batchnorm", "yes", "error.not_a_choice"),
    ("milestones", "50, x", "error.not_int"),
    ("milestones", "", "error.empty"),
    ("milestones", "1e400", "error.not_int"),
    ("inner.std", "1", "error.not_a_number"),
])
def test_a_value_that_cannot_be_used_is_refused_naming_its_path(path, value, key):
    with pytest.raises(InputError) as refused:
        validate_settings(with_values(Outer(), {path: value}), [])
    assert refused.value.key == key
    assert refused.value.params["field"] == path
    assert path in str(refused.value)


def test_below_the_lowest_torch_accepts_is_refused_not_clamped():
    lr = Setting("lr", "float", 0.1, low=1e-12, high=1e6, below_low="refuse")
    with pytest.raises(InputError) as refused:
        lr.parse(0.0, [], "run 1 lr")
    assert refused.value.key == "error.below" and "run 1 lr" in str(refused.value)
    notices = []
    assert lr.parse(1e9, notices) == 1e6 and notices[0].key == "notice.clamped"


def test_optional_takes_none_and_a_setting_without_a_bound_takes_any_number():
    max_eval = Setting("max_eval", "int", None, optional=True)
    assert max_eval.parse(None, []) is None
    assert max_eval.parse(12.0, []) == 12 and isinstance(max_eval.parse(12.0, []), int)
    with pytest.raises(InputError):
        Setting("lr", "float", 0.1).parse(None, [])


def test_a_setting_says_how_torch_and_a_script_take_it():
    milestones = settings_of(Outer)["milestones"]
    assert milestones.text((50, 125)) == "50, 125"
    assert milestones.torch_value((50, 125)) == [50, 125]
    assert milestones.code((50, 125)) == "[50, 125]"
    named = Setting("distance", "choice", "l2", choices=("l2", "cosine"),
                    to_value=lambda name: {"l2": 2, "cosine": 0}[name],
                    to_code=lambda name: f"distances[{name!r}]")
    assert named.torch_value("cosine") == 0 and named.code("l2") == "distances['l2']"


def test_shown_reads_the_other_values():
    slope = settings_of(Outer)["slope"]
    assert not slope.applies({"activation": "relu"})
    assert slope.applies({"activation": "leaky_relu"})
    assert settings_of(Outer)["depth"].applies({})


def test_a_declaration_that_contradicts_itself_is_refused_at_import():
    with pytest.raises(ValueError, match="not a choice"):
        Setting("activation", "choice", "gelu", choices=("relu",))
    with pytest.raises(ValueError, match="kind"):
        Setting("depth", "integer", 1)
    with pytest.raises(TypeError, match="kind"):
        setting([1, 2])
