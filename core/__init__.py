"""Pure computation behind the explorer: torch, pandas and altair only, never streamlit.

Each lesson has one module holding its Config (frozen, validated, hashable), its run function
and its Result; `charts` builds the Altair charts; `text` looks up every user-visible string.
"""
