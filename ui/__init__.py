"""Streamlit helpers shared by the pages: text in the session's language, notices, errors, code."""
