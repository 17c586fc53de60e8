"""The poll server process that phones reach: the tornado app and its handlers, live updates, the SQLite
store, group commit, limits, free-text rules, and the participant page (web/).

Nothing outside this package imports it except the `aftertalk serve` command: the notebook side talks to
the server over HTTP (tests/test_import_rule.py).
"""
