"""
Tests for L{ftpkit.shells.fsspecbackends}: what a store without an
optional capability answers when asked for it anyway.
"""

from twisted.trial import unittest

from ftpkit.errors import CommandNotImplemented
from ftpkit.shells.fsspecbackends import Backend


class MoveNewTests(unittest.SynchronousTestCase):
    """
    L{Backend.moveNew} on a store that cannot create a file only if it is
    new.
    """

    def test_refused(self):
        """
        It is refused with an FTP error (a clear reply, not a traceback),
        and the store says it cannot.
        """
        backend = Backend("memory")
        self.assertFalse(backend.createsAtomically)
        self.assertRaises(CommandNotImplemented,
                          backend.moveNew, None, "/upload.tmp", "/name")
