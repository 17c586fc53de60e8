"""Test-session settings shared by tests/ and the notebooks that nbval runs.

Every room the suite starts is a headless rehearsal kept in a throwaway folder: no test touches the
facilitator's real ~/.aftertalk, and notebook kernels (which inherit this environment) play each poll
through with simulated phones.
"""

import json
import os
import signal
import tempfile
from pathlib import Path

_data_dir = tempfile.mkdtemp(prefix="aftertalk-test-")
os.environ["AFTERTALK_DATA_DIR"] = _data_dir
os.environ["AFTERTALK_REHEARSAL"] = "1"
os.environ["AFTERTALK_HEADLESS"] = "1"


def pytest_sessionfinish(session, exitstatus):
    """Stop any poll server the notebooks started in the background."""
    for info in Path(_data_dir).glob("*/server.json"):
        try:
            os.kill(json.loads(info.read_text())["pid"], signal.SIGTERM)
        except (OSError, ValueError, KeyError):
            pass
