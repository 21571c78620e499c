"""
L{ftpkit.control.tlsstate}: the shared state of sessions before TLS.
"""

import dataclasses

from twisted.trial import unittest

from ftpkit.control.tlsstate import CLEAR, ControlTLS


class ClearTests(unittest.TestCase):
    """
    L{CLEAR}, every session's TLS state until TLS starts, never changes:
    changed in place, one session's change would be every session's.
    """

    def test_refusesChanges(self):
        """
        Setting any field of L{CLEAR} raises, and leaves it as it was.
        """
        for field in dataclasses.fields(ControlTLS):
            self.assertRaises(AttributeError, setattr, CLEAR, field.name,
                              object())
            self.assertEqual(getattr(CLEAR, field.name), field.default)

    def test_ownStateChanges(self):
        """
        A session's own L{ControlTLS} changes in place.
        """
        own = ControlTLS(controlSecure=True)
        own.protectData = True
        self.assertEqual((own.controlSecure, own.protectData), (True, True))
