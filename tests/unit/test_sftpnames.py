"""
L{ftpkit.compat.sftpnames}: names of an SFTP server that are not UTF-8,
read from paramiko's messages as the disk realm reads names.
"""

from twisted.trial import unittest

try:
    from paramiko import Message
    from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_STATUS
except ImportError:
    Message = None

from ftpkit.compat.sftpnames import (
    READ_AHEADS,
    readDirectory,
    readLink,
    realPath,
)


def nameMessage(*names):
    """
    @param names: the names (C{bytes}) of a C{NAME} reply.
    @return: the reply's message, read from its start.
    """
    message = Message()
    message.add_int(len(names))
    for name in names:
        message.add_string(name)
        message.add_string(b"-rw-r--r-- " + name)
        message.add_int(0)  # The attributes' flags: none given.
    return Message(message.asbytes())


class FakeClient:
    """
    The part of paramiko's C{SFTPClient} read here: C{_request} answers
    from a list of replies; C{READDIR} requests sent ahead
    (C{_async_request}) are answered in order from a list of batches,
    then with C{EOFError}, as paramiko raises it at a directory's end.
    The requests are recorded.
    """

    def __init__(self, replies, batches=()):
        self.replies = list(replies)
        self.batches = list(batches)
        self.requests = []
        self.readdirs = 0
        self.answered = []

    def _request(self, kind, *args):
        self.requests.append((kind, *args))
        return self.replies.pop(0)

    def _async_request(self, fileobj, kind, *args):
        self.readdirs += 1
        return self.readdirs

    def _read_response(self, num):
        self.answered.append(num)
        if num > len(self.batches):
            raise EOFError()
        return CMD_NAME, self.batches[num - 1]

    def readlink(self, path):
        self.requests.append(("readlink", path))
        return b"to\xff"


class ReadDirectoryTests(unittest.TestCase):
    """
    L{readDirectory} and L{realPath} over paramiko's messages.
    """

    if Message is None:
        skip = "paramiko is not installed"

    def test_undecodableListed(self):
        """
        A name that is not UTF-8 is given decoded with
        C{surrogateescape}, beside the others; C{.} and C{..} are left
        out; the path asked is sent as its bytes; L{READ_AHEADS}
        C{READDIR} requests are kept in flight, each answer awaited in
        order, and the directory is closed.
        """
        handle = Message()
        handle.add_string(b"h1")
        client = FakeClient(
            [(CMD_HANDLE, Message(handle.asbytes())), (CMD_STATUS, None)],
            [nameMessage(b".", b"good", b"bad\xff\xfe"),
             nameMessage(b"..", b"z\xc3\xa9")])
        entries = readDirectory(client, "/r/d\udcff")
        self.assertEqual([entry.filename for entry in entries],
                         ["good", "bad\udcff\udcfe", "z\xe9"])
        self.assertEqual(client.requests[0][1], b"/r/d\xff")
        self.assertEqual(client.requests[1], (CMD_CLOSE, b"h1"))
        # One more sent as each of the two batches came.
        self.assertEqual(client.readdirs, READ_AHEADS + 2)
        self.assertEqual(client.answered, list(range(1, READ_AHEADS + 3)))

    def test_manyBatches(self):
        """
        Past L{READ_AHEADS} batches, more requests are sent as answers
        come, until the directory's end.
        """
        handle = Message()
        handle.add_string(b"h1")
        names = [b"f%d" % index for index in range(READ_AHEADS + 5)]
        client = FakeClient(
            [(CMD_HANDLE, Message(handle.asbytes())), (CMD_STATUS, None)],
            [nameMessage(name) for name in names])
        entries = readDirectory(client, "/r")
        self.assertEqual([entry.filename.encode() for entry in entries], names)
        self.assertEqual(client.answered,
                         list(range(1, client.readdirs + 1)))

    def test_realPathUndecodable(self):
        """
        A real path that is not UTF-8 is decoded as a name is.
        """
        client = FakeClient([(CMD_NAME, nameMessage(b"/r/bad\xff"))])
        self.assertEqual(realPath(client, "/r/./bad\udcff"), "/r/bad\udcff")
        self.assertEqual(client.requests[0][1], b"/r/./bad\xff")

    def test_linkText(self):
        """
        A link's text paramiko gives as C{bytes} is given as text.
        """
        self.assertEqual(readLink(FakeClient([]), "/r/l"), "to\udcff")

    def test_withoutRequests(self):
        """
        Without paramiko's private names, no directory is read here (the
        shell reads fsspec's listing), and a real path is paramiko's
        C{normalize}, given as text.
        """
        class Public:
            def listdir_attr(self, path):
                raise AssertionError("read through fsspec instead")

            def normalize(self, path):
                return path

        self.assertIsNone(readDirectory(Public(), "/r"))
        self.assertEqual(realPath(Public(), "/r/b\udcff"), "/r/b\udcff")
