"""
Scripts a new Python runs first (a C{sitecustomize} module), for tests
acting on a real server at a given moment of its start: the server's
process and each worker of C{--workers} run it before anything else.
"""

import os

from tests.twistdrun import SOURCE

AT_WORKER_OR_IMPORT = """

def loaded(event, args):
    if event == "import" and args[0] == MODULE:
        act()


if "ftpkit.deploy.worker" in sys.orig_argv:
    act()
else:
    sys.addaudithook(loaded)
"""
"""
The end of a script that calls its C{act()} in a worker at its first
moment, and in any other process as it imports the module named
C{MODULE}: the script imports C{sys} and defines both before it.
"""


def sitePath(testCase, script):
    """
    @param testCase: the test, whose scratch directory holds the script.
    @param script: the text of a C{sitecustomize} module.
    @return: a C{PYTHONPATH} under which a new Python runs C{script} as
        it starts, then imports this checkout's ftpkit.
    """
    site = testCase.mktemp()
    os.makedirs(site)
    with open(os.path.join(site, "sitecustomize.py"), "w") as f:
        f.write(script)
    return os.pathsep.join([os.path.abspath(site), SOURCE])
