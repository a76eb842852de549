"""What drives the app from outside, shared by the tests and the benchmarks: the list of pages
(pages.py), a server on a free port (server.py), chromium (browser.py) and the shown scripts run
in-process (scripts.py)."""
