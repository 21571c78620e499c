"""
The twelfth attack sweep, over real loopback sockets.

A reply echoing a name that holds the byte C{0xff} (a name made on disk
that is not UTF-8, or one sent with its C{IAC} doubled) sent that byte as
it was: RFC 854 and RFC 959 make the control connection a Telnet one, on
which a C{0xff} of the text is sent doubled, so a client reading Telnet
(RFC 2640 asks of clients to undouble it) took the byte after it for a
Telnet command: C{257 "/d\\xff\\xf4x"} read as C{257 "/dx"} with an
interrupt, a path that names another directory. Every reply doubles it now
(L{ftpkit.protocol.replies.encodeReply}); listings on data connections,
which are not Telnet, send names as their bytes.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory

NAME = b"d\xff\xf4x"
"""A directory name holding C{IAC IP}: undoubled, read as C{dx}."""


class DoubledInRepliesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A directory named L{NAME} on disk, named by a client that doubles
    C{0xff} as RFC 2640 asks.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root.encode(), NAME))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, *lines):
        """
        Log in as alice and send C{lines}, each with C{0xff} doubled.

        @return: a L{Deferred} firing with the replies to C{lines}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line.replace(b"\xff", b"\xff\xff"))
                        for line in lines]
            finally:
                client.close()

        return self.inThread(run)

    async def test_workingDirectory(self):
        """
        C{CWD} to the directory, then C{PWD}: the C{250} and the C{257}
        hold its name with C{0xff} doubled.
        """
        changed, current = await self.session(b"CWD " + NAME, b"PWD")
        self.assertEqual(changed, b"250 Directory changed to /d\xff\xff\xf4x")
        self.assertEqual(current,
                         b'257 "/d\xff\xff\xf4x" is the current directory')

    async def test_madeDirectory(self):
        """
        The C{257} of C{MKD} of a new directory under it doubles every
        C{0xff} of the path.
        """
        [made] = await self.session(b"MKD " + NAME + b"/new\xff")
        self.assertTrue(made.startswith(b'257 "/d\xff\xff\xf4x/new\xff\xff"'),
                        made)

    async def test_statListing(self):
        """
        C{STAT} of the root lists on the control connection, so the name
        is doubled there.
        """
        [listing] = await self.session(b"STAT /")
        self.assertIn(b"d\xff\xff\xf4x", listing)
        self.assertNotIn(b"\xff", listing.replace(b"\xff\xff", b""))
