"""The facilitator's side, run by the notebook kernel: `Room` (an HTTP client of the poll server), the
local server's lifecycle, widgets, charts, exports, rehearsal phones, and `aftertalk workshop`.

It never imports `aftertalk.server`: it talks to the server over HTTP with the room's token, so the same
notebook works with a server on this laptop or one hosted elsewhere (tests/test_import_rule.py).
"""
