"""Altair chart builders, one module per lesson (layers: the per-layer lines the explosion and
initialisation lessons share), and common: the encodings every lesson shares, written once. Pages
pass in tidy DataFrames and the translated labels; ui.charts.show_chart draws the result.

Two rules keep a chart cheap to build (a rerun redraws it):
- Shared data: layers that draw the same DataFrame are built from alt.Chart() and get the frame
  once, from alt.layer(..., data=frame). When every layer carries the same frame, Altair hashes
  the frame's printed text for each layer to hoist it: tens of milliseconds per chart.
- Encodings are channel objects (alt.X("x:Q"), alt.Tooltip(...)), never shorthand strings
  (x="x:Q"): Altair resolves each string against the whole Vega-Lite schema, 3 to 7 ms apiece.
"""
