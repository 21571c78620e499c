"""
A spliced upload whose batch failed counts the bytes the batch took from
the socket (L{ftpkit.data.movers._splice.SpliceReceiver}, through its
L{ftpkit.data.movers._splicebatch.Taken}), whatever error the storage's
runner fails with. Session 55 found them on the batch's error, or on
the runner's through its C{__context__}: a storage plugin whose runner
raises an error of its own outside an C{except} block (here, in an
errback) lost them, and the upload counted none of the batch's bytes.
"""

import errno
import os
import select
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.data.connection import LeanConnection
from ftpkit.data.movers import Upload
from ftpkit.data.movers import _splice as splicing
from ftpkit.errors import InsufficientStorage
from ftpkit.fileinfo import FileDescriptor
from tests.unit.test_linger import _EpollClock
from tests.unit.test_movers import DescriptorOnlyFile
from tests.uploadbatches import connectedPair

SENT = 1000
"""The bytes the client sends: one batch takes them all."""


def _pluginRun(function, *args):
    """
    A storage plugin's runner (C{FileDescriptor.run}, and C{runShort}),
    at once: the call's error replaced by the plugin's own, raised in an
    errback, where no exception is being handled (nothing chained to it).

    @return: a fired Deferred.
    """
    def failed(failure):
        raise InsufficientStorage()
    return defer.maybeDeferred(function, *args).addErrback(failed)


class FreshErrorTests(unittest.TestCase):
    """
    Every write into the file fails (it is open read-only); the runner
    fails with an error of its own.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.reactor = _EpollClock()
        self.addCleanup(self.reactor._poller.close)
        self.client, self.server = connectedPair(self)
        self.connection = LeanConnection(self.server, self.reactor, 60.0,
                                         lambda: None)
        self.addCleanup(self.connection.abort)
        path = self.mktemp()
        open(path, "wb").close()
        self.fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, self.fd)

    def upload(self, runShort=None, fd=None, commit=None):
        """
        Send L{SENT} bytes, then upload them into the file once they
        arrived.

        @param runShort: the descriptor's C{runShort}.
        @param fd: the file's descriptor [default: read-only].
        @param commit: the descriptor's C{commit}; when given, the client
            ends its data after the bytes.
        @return: the upload's Deferred, fired.
        """
        self.client.sendall(b"x" * SENT)
        if commit is not None:
            self.client.shutdown(socket.SHUT_WR)
        select.select([self.server], [], [], 10)
        descriptor = FileDescriptor(
            self.fd if fd is None else fd, 0, None, _pluginRun,
            commit or (lambda end: None), None, runShort)
        mover = Upload(DescriptorOnlyFile(descriptor), True, self.reactor)
        return defer.ensureDeferred(mover.start(self.connection))

    def test_spliced(self):
        """
        A batch in a disk thread (spliced): its bytes are received.
        """
        self.failureResultOf(self.upload(), InsufficientStorage)
        self.assertEqual(self.connection.bytesReceived, SENT)

    def test_atOnce(self):
        """
        A batch run at once (through Python): its bytes are received.
        """
        self.failureResultOf(self.upload(_pluginRun), InsufficientStorage)
        self.assertEqual(self.connection.bytesReceived, SENT)

    def test_commitFailing(self):
        """
        The batch that reached the end, whose commit failed: its bytes
        are received.
        """
        fd = os.open(self.mktemp(), os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)

        def commit(end):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.failureResultOf(self.upload(fd=fd, commit=commit),
                             InsufficientStorage)
        self.assertEqual(self.connection.bytesReceived, SENT)
