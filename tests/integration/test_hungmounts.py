"""
Tests for L{tests.hungmounts}: a test leaves no call blocked in its hung
mount behind (such calls held disk threads that later tests in the same
trial process waited for).
"""

import errno
import os
import threading
import time

from twisted.trial import unittest

from tests.hungmounts import hungMount


def blockedInFuse(thread, wait=10):
    """
    @param thread: a running thread.
    @param wait: the most seconds to wait.
    @return: whether C{thread} came to wait for an answer of a FUSE
        server within C{wait} seconds (its kernel wait channel).
    """
    path = "/proc/self/task/%d/wchan" % (thread.native_id,)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with open(path) as f:
            if f.read() == "request_wait_answer":
                return True
        time.sleep(0.01)
    return False


class HungMountTests(unittest.SynchronousTestCase):
    """
    Calls blocked in a hung mount fail once it is taken away, and the
    mount leaves no thread behind.
    """

    def test_blockedCallsFreed(self):
        """
        A C{stat} blocked in the mount fails with C{ECONNABORTED} when the
        mount is taken away, and its thread goes on; so does none of the
        mount's own (its reader, left waiting in a read of the connection,
        read whatever was opened under the connection's descriptor number
        next once a signal to a blocked call woke it: a later test's
        upload lost its bytes).
        """
        before = set(threading.enumerate())
        point = self.mktemp()
        os.makedirs(point)
        unmount = hungMount(self, point)
        errors = []

        def call():
            try:
                os.stat(os.path.join(point, "x"))
            except OSError as e:
                errors.append(e.errno)

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        self.assertTrue(blockedInFuse(thread))
        unmount()
        thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [errno.ECONNABORTED])
        self.assertEqual(set(threading.enumerate()) - before, set())
