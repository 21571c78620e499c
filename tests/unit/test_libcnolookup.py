"""
The C library functions ftpkit calls through C{ctypes} come from the
process's own C library, without looking it up: C{ctypes.util.
find_library} runs C{/sbin/ldconfig -p} (a fork and exec, ~10 ms) each
time, and ran twice at every process's start, workers' included
(L{ftpkit.compat.mounts} at import, L{ftpkit.compat.inotify} as the
listings' cache started, beside the start-up sweep's thread).
"""

import ctypes.util

from twisted.trial import unittest

from ftpkit.compat import inotify, mounts


class NoLookupTests(unittest.TestCase):
    """
    Loading the functions looks nothing up.
    """

    def setUp(self):
        self.looked = []
        self.patch(ctypes.util, "find_library", self.looked.append)

    def test_fstatfs(self):
        """
        C{fstatfs} (which file systems are local).
        """
        self.assertIsNotNone(mounts._fstatfs())
        self.assertEqual(self.looked, [])

    def test_inotify(self):
        """
        The inotify functions (the listings' cache).
        """
        self.assertTrue(hasattr(inotify._libc(), "inotify_init1"))
        self.assertEqual(self.looked, [])
