"""
A pipe whose reader reads nothing and which is full: a supervisor's
standard error nobody reads, for the tests that a server still exits.
"""

import fcntl
import os


def fullPipe(testCase):
    """
    @param testCase: the running test (closes the read end at its end).
    @return: the write end of a pipe of 4 KiB, full, in blocking mode (as
        a child inherits it); the caller closes it once given away.
    """
    readEnd, writeEnd = os.pipe()
    testCase.addCleanup(os.close, readEnd)
    fcntl.fcntl(writeEnd, fcntl.F_SETPIPE_SZ, 4096)
    os.set_blocking(writeEnd, False)
    try:
        while True:
            os.write(writeEnd, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(writeEnd, True)
    return writeEnd
