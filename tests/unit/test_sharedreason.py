"""
Tests for L{ftpkit.compat.tcp.SharedReason}: the one L{Failure} given as
the reason of many connections' ends answers C{check} and C{trap} as a
L{Failure} of the same exception does, however often it is asked.
"""

from twisted.internet import error, main
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.compat import tcp
from ftpkit.compat.controltls import _ENDED_WITHOUT_CLOSE_NOTIFY
from ftpkit.compat.tcp import SharedReason

ASKED = [
    (error.ConnectionAborted,),
    (error.ConnectionDone,),
    (error.ConnectionLost,),
    (error.ConnectionClosed,),
    (error.ConnectionAborted, error.ConnectionDone),
    (error.ConnectionDone, error.ConnectionClosed),
    (Exception,),
    (KeyError, ValueError),
    ("twisted.internet.error.ConnectionDone",),
    ("twisted.internet.error.ConnectionAborted",),
    (),
]
"""The types (and qualified names) each test asks about."""


class SharedReasonTests(unittest.SynchronousTestCase):
    """
    L{SharedReason} answers as L{Failure} does.
    """

    def assertSameAnswers(self, exception):
        """
        Ask a L{SharedReason} of C{exception} and a L{Failure} of it about
        every type of L{ASKED}, twice.

        @param exception: the exception both wrap.
        """
        shared, plain = SharedReason(exception), Failure(exception)
        for _ in range(2):
            for types in ASKED:
                self.assertIs(shared.check(*types), plain.check(*types),
                              types)

    def test_connectionDone(self):
        """
        A reason of C{CONNECTION_DONE} names the types a plain L{Failure}
        of it names, the first of them, and C{None} for the others.
        """
        self.assertSameAnswers(main.CONNECTION_DONE)

    def test_connectionLost(self):
        """
        So does one of C{CONNECTION_LOST}.
        """
        self.assertSameAnswers(main.CONNECTION_LOST)

    def test_trap(self):
        """
        C{trap} (which asks C{check}) gives back the type trapped, and
        raises for one the reason is not of what a L{Failure} raises,
        again and again.
        """
        def raised(reason):
            try:
                reason.trap(error.ConnectionAborted)
            except BaseException as e:  # noqa: BLE001 (what it is)
                return type(e)
            return None

        shared = SharedReason(main.CONNECTION_DONE)
        plain = Failure(main.CONNECTION_DONE)
        for _ in range(2):
            self.assertIs(shared.trap(error.ConnectionDone),
                          error.ConnectionDone)
            self.assertIsNotNone(raised(shared))
            self.assertIs(raised(shared), raised(plain))

    def test_givenAtEnds(self):
        """
        The reasons a close at once and a TLS end without the peer's
        close_notify give are L{SharedReason}s of Twisted's one exception
        for each.
        """
        self.assertIsInstance(tcp._CONNECTION_DONE, SharedReason)
        self.assertIs(tcp._CONNECTION_DONE.value, main.CONNECTION_DONE)
        self.assertIsInstance(_ENDED_WITHOUT_CLOSE_NOTIFY, SharedReason)
        self.assertIs(_ENDED_WITHOUT_CLOSE_NOTIFY.value, main.CONNECTION_LOST)
