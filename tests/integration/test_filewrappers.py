"""
A plugin's shell wrapper whose upload files refuse bytes, written as
docs/writing-a-realm.rst tells a plugin author (L{ShellWrapper}, upload
files on L{WriteFileWrapper}), over the disk shell and real sockets: a
refused upload keeps nothing.
"""

import os

from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import SharedShellRealm
from ftpkit.config import ServerConfig
from ftpkit.data.producers import ConsumerFilter
from ftpkit.errors import QuotaExceeded
from ftpkit.interfaces import IPartialWriteFile, IRefusingWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.wrappers import ShellWrapper, WriteFileWrapper
from tests.floods import uploadUntilCut
from tests.ftpclient import inLoggedInClient

LIMIT = 100
"""The most bytes the plugin's uploads take."""


class _LimitedConsumer(ConsumerFilter):
    """
    A plugin's consumer: hands bytes on up to L{LIMIT}, then stops the
    data connection (what it handed on is on the disk by then).
    """

    _producer = None

    def __init__(self, consumer, upload):
        ConsumerFilter.__init__(self, consumer)
        self._upload = upload
        self._count = 0

    def registerProducer(self, producer, streaming):
        self._producer = producer
        ConsumerFilter.registerProducer(self, producer, streaming)

    def write(self, data):
        room = LIMIT - self._count
        self._count += len(data)
        if room > 0:
            self._consumer.write(data[:room])
        if self._count > LIMIT and not self._upload.refused:
            self._upload.refused = QuotaExceeded()
            if self._producer is not None:
                self._producer.stopProducing()


@implementer(IRefusingWriteFile)
class _LimitedUpload(WriteFileWrapper):
    """
    A plugin's upload file, refusing what goes past L{LIMIT}.
    """

    refused = None

    def receive(self):
        return WriteFileWrapper.receive(self).addCallback(
            _LimitedConsumer, self)

    def refusal(self):
        return self.refused or WriteFileWrapper.refusal(self)


class _LimitedShell(ShellWrapper):
    """
    A plugin's shell wrapper, holding uploads to L{LIMIT} bytes.
    """

    def openForWriting(self, path, offset=0, append=False):
        return ShellWrapper.openForWriting(
            self, path, offset, append).addCallback(_LimitedUpload)


class RefusingWrapperTests(LoopbackServerMixin, unittest.TestCase):
    """
    A refused upload through a plugin's wrapper is discarded whole.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"old")
        self.server = self.startServer(
            SharedShellRealm(_LimitedShell(FilesystemShell(self.root))),
            ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def test_forwardsDiscard(self):
        """
        The wrapper's upload file provides L{IPartialWriteFile} as the
        disk's does, so that the server can discard it.
        """
        opened = self.successResultOf(
            _LimitedShell(FilesystemShell(self.root)).openForWriting(("g",)))
        self.assertTrue(IPartialWriteFile.providedBy(opened))
        self.assertTrue(IRefusingWriteFile.providedBy(opened))
        self.successResultOf(opened.discard())

    def test_refusedUploadsKeepNothing(self):
        """
        A refused C{STOR} gets C{552} and leaves no file, not even a
        hidden partial one; a refused C{APPE} leaves the file as it was
        (it grew by what was taken, the wrapper not forwarding
        C{discard}).
        """
        def session(ftp):
            ftp.voidcmd("TYPE I")
            return [uploadUntilCut(ftp, command, 1 << 20, 4096)[1][:3]
                    for command in ("STOR g", "APPE f")]

        def check(finals):
            self.assertEqual(finals, ["552", "552"])
            self.assertEqual(os.listdir(self.root), ["f"])
            with open(os.path.join(self.root, "f"), "rb") as f:
                self.assertEqual(f.read(), b"old")

        return inLoggedInClient(self, session).addCallback(check)
