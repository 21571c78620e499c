"""
Running Python and C{twistd ftpkit} from the source tree in a child
process: L{runPython} for any code, L{twistdRun} and L{runTwistd} to the
end of C{twistd}, as the tests of its usage errors do
(L{tests.integration.test_usage_twistd},
L{tests.integration.test_usage_endpoints}).
"""

import os
import shutil
import subprocess
import sys

from twisted.trial.unittest import SkipTest

import ftpkit
from tests.scratch import scratchDirectory

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(ftpkit.__file__)))
"""The source tree: the directory that holds the C{ftpkit} package."""

TWISTD = (
    "import sys; sys.argv[0] = 'twistd'; "
    "from twisted.scripts.twistd import run; run()"
)
"""The code C{python -c} runs as C{twistd}."""


def withoutFileCapabilities():
    """
    The command to put before a child's, so that it meets file
    permissions as any user does: run as root, it runs without the
    capabilities that bypass them.

    @return: C{setpriv} and its options, as root; an empty list otherwise.
    @raise SkipTest: as root, where C{setpriv} is not installed.
    """
    if os.getuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        raise SkipTest("setpriv not installed")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search", "--"]


def runPython(args, cwd, pythonPath):
    """
    Run Python in a child process, with no standard input.

    @param args: the arguments after C{python}.
    @param cwd: the directory to run in.
    @param pythonPath: C{PYTHONPATH} for the child, or C{None} for none.
    @return: C{(exitCode, output)}, stdout and stderr together as text.
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonPath is not None:
        env["PYTHONPATH"] = pythonPath
    done = subprocess.run(
        [sys.executable, *args], check=False, cwd=cwd, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=120,
    )
    return done.returncode, done.stdout.decode("utf-8", "replace")


def twistdRun(*args, cwd=None, timeout=60, prefix=()):
    """
    Run C{twistd} from the source tree with C{args} to its end, with no
    standard input.

    @param args: C{twistd}'s options, then C{ftpkit} and its options.
    @param cwd: the directory to run in, or C{None} for this one.
    @param timeout: the seconds it may take before
        L{subprocess.TimeoutExpired} is raised.
    @param prefix: the command that runs Python, with its arguments
        (L{withoutFileCapabilities}), or nothing.
    @return: the L{subprocess.CompletedProcess}, its standard output and
        error apart, as text.
    """
    return subprocess.run(
        [*prefix, sys.executable, "-c", TWISTD, *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd,
        stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=SOURCE))


def runTwistd(case, *args):
    """
    Run C{twistd} (as C{twistd -n --pidfile=}) with C{args} to its end.

    @param case: the test, for a scratch directory to serve.
    @param args: C{twistd}'s options, then C{ftpkit} and its options.
    @return: the exit status and the lines of standard error and output.
    """
    done = twistdRun("-n", "--pidfile=", *args, cwd=scratchDirectory(case))
    return done.returncode, (done.stderr + done.stdout).splitlines()
