"""
Plugins written as an author outside the repository writes them, from
the tutorials alone: a shell whose downloads are Twisted's C{FileSender}
as it fires (the last byte, not a count), as plugins of earlier releases
wrote them.
"""

import io

from twisted.internet.defer import succeed
from twisted.protocols.basic import FileSender
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import IReadFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import IFTPShellConformanceMixin, writeFile
from tests.ftpclient import ftplibLogin


@implementer(IReadFile)
class LastByteSenderFile:
    """
    An L{IReadFile} whose C{send} is Twisted's C{FileSender} and fires as
    it does, with the last byte sent.
    """

    def __init__(self, data):
        """
        @param data: the bytes from the open offset.
        """
        self.size = len(data)
        self._data = data

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        return FileSender().beginFileTransfer(io.BytesIO(self._data),
                                              consumer)

    def close(self):
        """
        Nothing to release.
        """


class LastByteSenderShell(MemoryShell):
    """
    A L{MemoryShell} whose downloads are L{LastByteSenderFile}s.
    """

    def openForReading(self, path, offset=0):
        """
        See L{ftpkit.interfaces.IFTPShell.openForReading}: the file's bytes
        from C{offset} in a L{LastByteSenderFile}.
        """
        opened = MemoryShell.openForReading(self, path, offset)
        opened.addCallback(lambda random: random.readAt(0, random.size)
                           if random.size else succeed(b""))
        return opened.addCallback(LastByteSenderFile)


class LastByteSenderConformanceTests(IFTPShellConformanceMixin,
                                     unittest.TestCase):
    """
    The conformance kit passes a shell whose C{send} fires as
    C{FileSender} does, which the server takes (the count not known): its
    C{test_writeThenRead} required the count, and failed every plugin
    sending with C{FileSender} as the tutorial says it may.
    """

    timeout = 20

    def makeShell(self):
        """
        @return: a new L{LastByteSenderShell}.
        """
        return LastByteSenderShell()


class LastByteSenderServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The server serves such a shell in every mode.
    """

    def test_sizeInASCII(self):
        """
        C{SIZE} in C{TYPE A} counts the file as sent with CRLF line ends:
        the counting consumer was written to before it had noted its pull
        producer, and answered C{451} (the log blaming the plugin's
        C{send} for an C{AttributeError} of ftpkit's).
        """
        shell = LastByteSenderShell()
        data = b"line\n" * 10000
        self.successResultOf(writeFile(shell, ("f",), data))
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplibLogin(self, server.port)
            ftp.voidcmd("TYPE A")
            reply = ftp.sendcmd("SIZE f")
            ftp.quit()
            return reply

        return self.inThread(client).addCallback(
            self.assertEqual, "213 %d" % (len(data) + 10000))
