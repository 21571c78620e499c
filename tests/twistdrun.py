"""
Running C{twistd ftpkit} to its end, as the tests of its usage errors do
(L{tests.integration.test_usage_twistd},
L{tests.integration.test_usage_endpoints}).
"""

import os
import subprocess
import sys

from tests.integration.test_plugin import _SOURCE, _TWISTD
from tests.scratch import scratchDirectory


def runTwistd(case, *args):
    """
    Run C{twistd} (as C{twistd -n --pidfile=}) with C{args} to its end.

    @param case: the test, for a scratch directory to serve.
    @param args: C{twistd}'s options, then C{ftpkit} and its options.
    @return: the exit status and the lines of standard error and output.
    """
    done = subprocess.run(
        [sys.executable, "-c", _TWISTD, "-n", "--pidfile=", *args],
        capture_output=True, text=True, timeout=60,
        cwd=scratchDirectory(case), env=dict(os.environ, PYTHONPATH=_SOURCE))
    return done.returncode, (done.stderr + done.stdout).splitlines()
