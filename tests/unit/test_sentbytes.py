"""
L{ftpkit.data.sentbytes.kernelTook}: what a download's count of bytes
sent is, from what it handed to its transport.
"""

from twisted.trial import unittest

from ftpkit.data.sentbytes import kernelTook


class KernelTookTests(unittest.TestCase):
    """
    L{kernelTook}.
    """

    def test_beforeHandshake(self):
        """
        Under TLS before the handshake nothing was sent, whatever was
        written and whatever the transport holds.
        """
        self.assertEqual(kernelTook(1 << 20, False, 0), 0)
        self.assertEqual(kernelTook(1 << 20, False, None), 0)

    def test_lessHeld(self):
        """
        What the transport holds is not sent.
        """
        self.assertEqual(kernelTook(1000, True, 300), 700)

    def test_recordsFraming(self):
        """
        Records held with their framing never make the count negative.
        """
        self.assertEqual(kernelTook(16384, True, 16406), 0)

    def test_heldUnknown(self):
        """
        A transport that cannot tell what it holds: what was written.
        """
        self.assertEqual(kernelTook(1000, True, None), 1000)
