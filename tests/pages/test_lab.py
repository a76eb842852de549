"""The training lab through AppTest: play, one epoch and reset by their buttons; a challenge
card sets its settings; a bad CSV gets a message per bad row and loses nothing typed."""

from core.lab import challenges

PAGE = "lessons/lab.py"


def epoch(at) -> int:
    return int(at.metric[0].value)


def test_step_play_pause_reset(open_page):
    at = open_page(PAGE)
    assert epoch(at) == 0
    assert len(at.get("vega_lite_chart")) >= 1
    at.button(key="lab_step").click().run()
    assert epoch(at) == 1
    at.button(key="lab_step").click().run()
    assert epoch(at) == 2
    at.toggle(key="lab_play").set_value(True).run()  # AppTest runs the fragment with the page
    assert epoch(at) > 2
    playing_at = epoch(at)
    at.toggle(key="lab_play").set_value(False).run()  # pause
    assert epoch(at) == playing_at
    at.run()
    assert epoch(at) == playing_at
    at.toggle(key="lab_play").set_value(True).run()
    at.button(key="lab_step").click().run()  # one epoch pauses a playing run
    assert not at.toggle(key="lab_play").value
    at.button(key="lab_reset").click().run()
    assert epoch(at) == 0
    assert not at.exception


def test_a_new_setting_starts_a_new_run_from_epoch_0(open_page):
    at = open_page(PAGE)
    at.button(key="lab_step").click().run()
    at.toggle(key="lab_bn").set_value(True).run()
    assert epoch(at) == 0 and not at.exception


def test_challenge_card_sets_its_settings(open_page):
    at = open_page(PAGE)
    at.button(key="lab_start_deep_sigmoid").click().run()
    assert at.session_state["lab_depth"] == 10
    assert at.session_state["lab_act"] == "sigmoid"
    trainer = at.session_state["lab_trainer"]
    assert len(trainer.config.widths) == 10 and trainer.config.activation == "sigmoid"
    start = dict(challenges.CHALLENGES["deep_sigmoid"].start)
    assert trainer.config.dataset == start["dataset"]
    assert not at.exception


def test_bad_csv_rows_are_named_and_nothing_typed_is_lost(open_page):
    at = open_page(PAGE)
    at.selectbox(key="lab_data").set_value("csv").run()
    typed = "x1,x2,label\n1,2,1\n3,abc,0\n4,5\n-1,-2,0\n0,1,1\n1,0,0\n2,2,1\n"
    at.text_area(key="lab_csv").input(typed).run()
    errors = " ".join(error.value for error in at.error)
    assert "row 3, column x2" in errors and "“abc” is not a number" in errors
    assert "row 4: 2 cells" in errors
    assert at.text_area(key="lab_csv").value == typed
    assert not at.metric  # no run until the user agrees to skip them
    at.toggle(key="lab_skip").set_value(True).run()
    assert at.text_area(key="lab_csv").value == typed
    warnings = " ".join(warning.value for warning in at.warning)
    assert "row 3, column x2" in warnings
    assert epoch(at) == 0 and len(at.session_state["lab_trainer"].data.labels) == 5
    at.button(key="lab_step").click().run()
    assert epoch(at) == 1 and not at.exception


def test_chinese(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "训练实验室：真实网络当场学习"
    assert at.button(key="lab_step").label == "训练一个 epoch" and not at.exception


def test_every_dataset_trains_on_the_page(open_page):
    from core.lab.data import DATASETS

    at = open_page(PAGE)
    for name, entry in DATASETS.items():
        if entry.draw is None:
            continue
        at.selectbox(key="lab_data").set_value(name).run()
        at.button(key="lab_preset").click().run()
        at.button(key="lab_step").click().run()
        assert epoch(at) == 1, name
        assert at.session_state["lab_trainer"].config.dataset == name
        assert not at.exception, name
