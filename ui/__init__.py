"""Streamlit helpers the pages share, one module per concern: text (language, presenter mode),
links (URL binding, link checks), controls (defaults from the Configs), charts (cached specs),
panels (notices, errors, explanations, code, CSV) and trend (a network run's verdict)."""
