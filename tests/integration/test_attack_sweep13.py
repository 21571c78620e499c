"""
The thirteenth attack sweep, over real loopback sockets.

The range of an X-verb (C{XCRC}, C{XMD5}, C{XSHA*}: C{path start end})
was read with C{int} whatever its length: a number of more than 4,300
digits (Python's limit on decimal conversions) raised C{ValueError} in
the parser, so the client got C{451} and the log a critical line with a
traceback (about 11 KB a command, the line up to 8 KiB echoed in it).
A range number of more digits than any offset has is now C{501}.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory


class ServedRootMixin(LoopbackServerMixin):
    """
    A loopback server on a scratch root holding C{f.txt}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"hello\n")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, *lines):
        """
        Log in as alice and send C{lines}.

        @return: a L{Deferred} firing with the replies to C{lines}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line) for line in lines]
            finally:
                client.close()

        return self.inThread(run)


class HugeRangeTests(ServedRootMixin, unittest.TestCase):
    """
    X-verbs whose range holds numbers past Python's digit limit.
    """

    async def test_hugeNumbers(self):
        """
        A start or an end of 5,000 digits is C{501}, as a range past the
        largest offset is; the session goes on.
        """
        huge = "9" * 5000
        replies = await self.session(
            "XCRC f.txt 1 " + huge, "XMD5 f.txt " + huge + " 1",
            "XSHA1 f.txt 0 " + "0" * 4999 + "1", "XCRC f.txt 0 3")
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"501 ", b"250 "])
