"""
Tests for L{ftpkit.compat.startup}: the private names of Twisted's option
parser and server service that ftpkit's start-up reads are still there (a
failure here names what changed and means ftpkit.compat must be
updated), and each fallback holds.
"""

import socket

from twisted.application.internet import StreamServerEndpointService
from twisted.internet import reactor
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory
from twisted.python import usage
from twisted.trial import unittest

from ftpkit import compat
from ftpkit.compat import startup
from ftpkit.deploy.listening import ControlListening
from ftpkit.deploy.onceonly import refuseRepeats
from tests.compatchanges import changed


class _Options(usage.Options):
    """
    Options with one parameter and one gathering handler.
    """

    optParameters = [["size", None, "1", "a size"]]

    def __init__(self):
        usage.Options.__init__(self)
        self["names"] = []

    def opt_name(self, name):
        """
        Gather a name.
        """
        self["names"].append(name)


def _takenPort(test):
    """
    @param test: the test, which closes the socket at its end.
    @return: a port on 127.0.0.1 that a socket listens on already.
    """
    taken = socket.socket()
    test.addCleanup(taken.close)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    return taken.getsockname()[1]


class PrivateNamesTests(unittest.SynchronousTestCase):
    """
    The installed Twisted still has what L{ftpkit.compat.startup} reads.
    """

    def test_optionHandlers(self):
        """
        C{usage.Options} parses through a table of handlers by long name
        (C{_dispatch}), and a handler put in it is the one a parse calls:
        L{compat.optionHandlers} gives that table.
        """
        options = _Options()
        handlers = compat.optionHandlers(options)
        self.assertIsInstance(handlers, dict,
                              changed("usage.Options._dispatch"))
        self.assertIn("size", handlers, changed("usage.Options._dispatch"))
        called = []
        handlers["size"] = lambda option, value: called.append(value)
        options.parseOptions(["--size", "7"])
        self.assertEqual(called, ["7"], changed("usage.Options._dispatch"))

    def test_repeatRefused(self):
        """
        Through that table, a parameter given twice is a usage error; a
        gathering handler is left as it is.
        """
        options = _Options()
        self.assertEqual(refuseRepeats(options), ["size"])
        options.parseOptions(["--name", "a", "--name", "b", "--size", "2"])
        self.assertEqual((options["names"], options["size"]),
                         (["a", "b"], "2"))
        options = _Options()
        refuseRepeats(options)
        self.assertRaises(usage.UsageError, options.parseOptions,
                          ["--size", "2", "--size", "3"])

    def test_raiseListenFailures(self):
        """
        C{StreamServerEndpointService} has C{_raiseSynchronously}, and set
        (L{compat.raiseListenFailures}) a port that cannot be listened on
        raises from C{privilegedStartService}.
        """
        self.assertTrue(
            hasattr(StreamServerEndpointService, "_raiseSynchronously"),
            changed("StreamServerEndpointService._raiseSynchronously"))
        port = _takenPort(self)
        service = ControlListening(f"tcp:{port}:interface=127.0.0.1",
                                   Factory(), reactor)
        self.assertRaises(CannotListenError, service.privilegedStartService)


class FallbackTests(unittest.SynchronousTestCase):
    """
    What ftpkit's start-up does when a private name is gone.
    """

    def test_optionHandlersUnknown(self):
        """
        Options without the table: no option is refused when repeated
        (the last value wins, as Twisted has it).
        """
        options = _Options()
        del options._dispatch
        self.assertIsNone(compat.optionHandlers(options))
        self.assertEqual(refuseRepeats(options), [])

    def test_raiseListenFailuresUnknown(self):
        """
        Without C{_raiseSynchronously}, a port that cannot be listened on
        is logged by Twisted, and the service goes on without it.
        """
        self.patch(startup, "StreamServerEndpointService", object)
        service = ControlListening(
            f"tcp:{_takenPort(self)}:interface=127.0.0.1", Factory(), reactor)
        self.assertFalse(compat.raiseListenFailures(service))
        service.privilegedStartService()
        self.addCleanup(service._spare.release)
        self.assertEqual(len(self.flushLoggedErrors(CannotListenError)), 1)
