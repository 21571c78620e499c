"""
A command the drain does not run gets the drain's C{421} at once, once
the command running when the drain began has replied: sent during the
wait for a C{QUIT} after that reply (L{ftpkit.ops.drain.QUIT_WAIT}), or
pipelined before it, it got no reply until that wait was over. A
C{QUIT} still gets its C{221}; a silent client its C{421} once the wait
is over.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.ops.drain import QUIT_WAIT, SHUTTING_DOWN, Drain
from tests.memorysessions import connect, makeFactory, replyCodes

DELAY = 5.0
"""Seconds a wrong password's C{530} waits: the command running when
the drain begins."""


class RefusedInDrainTests(unittest.TestCase):
    """
    A session running a command (a wrong password being answered) when
    L{Drain.stopService} begins, on an in-memory transport.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        factory = makeFactory(self.clock, loginFailureDelay=DELAY)
        self.session, self.transport = connect(factory)
        self.session.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        Drain(factory, 30, self.clock).stopService()

    def assertToldNow(self):
        """
        The session was told the drain's C{421} after its C{530}, and is
        closing, with no time passed since.
        """
        self.assertEqual(replyCodes(self.transport)[-2:], ["530", "421"])
        self.assertIn(SHUTTING_DOWN.encode("ascii"), self.transport.value())
        self.assertTrue(self.transport.disconnecting)

    def test_sentAfterReply(self):
        """
        A command sent once the running command replied gets the C{421}
        at once.
        """
        self.clock.advance(DELAY)
        self.assertEqual(replyCodes(self.transport)[-1], "530")
        self.session.dataReceived(b"PWD\r\n")
        self.assertToldNow()

    def test_sentBeforeReply(self):
        """
        A command sent while the command ran gets the C{421} as soon as
        that command replied.
        """
        self.session.dataReceived(b"NOOP\r\n")
        self.clock.advance(DELAY)
        self.assertToldNow()

    def test_quit(self):
        """
        A C{QUIT} sent once the running command replied gets C{221}, no
        C{421}.
        """
        self.clock.advance(DELAY)
        self.session.dataReceived(b"QUIT\r\n")
        self.assertEqual(replyCodes(self.transport)[-2:], ["530", "221"])
        self.clock.advance(QUIT_WAIT)
        self.assertNotIn(b"421", self.transport.value())

    def test_silent(self):
        """
        A client that sends nothing is told C{421} once the wait for its
        C{QUIT} is over, not before.
        """
        self.clock.advance(DELAY)
        self.clock.advance(QUIT_WAIT / 2)
        self.assertEqual(replyCodes(self.transport)[-1], "530")
        self.clock.advance(QUIT_WAIT / 2)
        self.assertToldNow()
