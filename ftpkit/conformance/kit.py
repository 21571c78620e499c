"""
L{ShellKit}: what both conformance kits share, the writable one
(L{ftpkit.conformance.IFTPShellConformanceMixin}) and the read-only one
(L{ftpkit.conformance.readonly.IReadOnlyShellConformanceMixin}): the
wait for a shell's own work (C{settle}), the check of the interfaces a
shell claims, and the download its consumer stops.
"""

from twisted.internet.defer import inlineCallbacks
from zope.interface.verify import verifyObject

from ftpkit.conformance.helpers import CollectingConsumer
from ftpkit.interfaces import OPTIONAL_SHELL_INTERFACES, IFTPShell
from ftpkit.shells.adapters import readFileFor

SETTLE_TRIES = 500
"""How many times L{ShellKit.settle} is waited on, at most, for a stopped
download's L{Deferred}: a shell reading in threads may answer late on a
busy machine."""


class ShellKit:
    """
    The base of each part of the conformance kits: a test case mixing one
    in has C{self.shell}, the shell under test.
    """

    def settle(self):
        """
        Let work the shell left running show its effects: the kit waits on
        this while a producer is paused or after it was stopped. The
        default lets the reactor run for a moment; a shell working in
        threads of its own may override it to wait for them.

        @return: a L{Deferred} firing with C{None}.
        """
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        return deferLater(reactor, 0.01, lambda: None)

    def test_verifyObject(self):
        """
        The shell provides L{IFTPShell} and each extra it claims.
        """
        self.assertTrue(verifyObject(IFTPShell, self.shell))
        for extra in OPTIONAL_SHELL_INTERFACES:
            if extra.providedBy(self.shell):
                self.assertTrue(verifyObject(extra, self.shell))

    @inlineCallbacks
    def checkStoppedDownload(self, path):
        """
        Download a file whose consumer stops it after the first write:
        C{send} writes nothing more and its L{Deferred} fires or fails
        (within L{SETTLE_TRIES} of C{settle}).

        @param path: a file of several reads.
        @return: a L{Deferred} firing with C{None} once checked.
        """
        consumer = CollectingConsumer(lambda c: c.stop())
        opened = readFileFor((yield self.shell.openForReading(path)))
        outcome = []
        opened.send(consumer).addBoth(outcome.append)
        for _ in range(SETTLE_TRIES):
            yield self.settle()
            if outcome:
                break
        yield opened.close()
        self.assertEqual(len(outcome), 1)
        self.assertEqual(len(consumer.chunks), 1)
