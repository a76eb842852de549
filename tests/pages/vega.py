"""Whether a chart a page sends is valid Vega-Lite: the app skips Altair's validation for speed
(ui.charts.show_chart), so the page tests check the specs the pages really send."""

import json

from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema


def chart_specs(at) -> list[dict]:
    """The Vega-Lite specs of every chart on an AppTest's page, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def is_valid(spec: dict) -> bool:
    return validate_jsonschema(spec, load_schema(), raise_error=False) is None
