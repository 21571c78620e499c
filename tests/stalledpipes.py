"""
Pipes whose reader stops reading, for the tests of the writers that
must never wait for it (the transfer log on a FIFO, the server's log on
standard output): L{HangGuard}, L{drain}.
"""

import os
import signal

from tests.serverprocess import TIMEOUT


class HangGuard:
    """
    Fails the running test with an exception where a write blocks the
    test's own process (the failure such a test is for), where it would
    hang the test run for good.
    """

    def __init__(self, testCase, seconds=TIMEOUT):
        """
        Arm it until the test ends.

        @param testCase: the running test.
        @param seconds: how long the test may take.
        """
        def hung(number, frame):
            raise AssertionError("a write blocked")
        previous = signal.signal(signal.SIGALRM, hung)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        testCase.addCleanup(signal.signal, signal.SIGALRM, previous)
        testCase.addCleanup(signal.setitimer, signal.ITIMER_REAL, 0)


def drain(reader):
    """
    @param reader: a pipe's or FIFO's reader's end, not blocking.
    @return: all the pipe holds.
    """
    chunks = []
    try:
        while chunk := os.read(reader, 65536):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    return b"".join(chunks)
