"""
A directory on C{fsspec:sftp://} holding a name that is not UTF-8 (a
file another program made as C{b"bad\\xff\\xfe"}), through a real
OpenSSH server on loopback serving the test's directory: the directory
is listed, that name as its bytes are, as the disk realm lists it;
paramiko decoded the names strictly, and every C{LIST}, C{NLST},
C{MLSD} and C{STAT} of the directory got C{550 File name not allowed}.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import SFTPMixin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory

BAD = b"bad\xff\xfe"
"""A name that is not UTF-8."""


class UndecodableNameTests(SFTPMixin, LoopbackServerMixin, unittest.TestCase):
    """
    The root holds C{good.bin}, C{BAD} and a link named C{lnk} plus
    C{\\xff} leading to C{good.bin}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "good.bin"), "wb") as f:
            f.write(b"good")
        with open(os.path.join(os.fsencode(self.root), BAD), "wb") as f:
            f.write(b"bad")
        os.symlink(b"good.bin", os.path.join(os.fsencode(self.root),
                                            b"lnk\xff"))
        self.server = self.startServer(self.makeRealm(),
                                       ServerConfig(loginFailureDelay=0))

    def session(self):
        """
        @return: a L{RawClient} logged in as alice.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        self.assertTrue(client.login().startswith(b"230"))
        return client

    def listed(self, client, command):
        """
        @return: the data of a listing command, which must get C{226}.
        """
        first, data, last = client.transfer(command)
        self.assertTrue(last is not None and last.startswith(b"226"),
                        (first, last))
        return data

    @defer.inlineCallbacks
    def test_listings(self):
        """
        C{NLST}, C{LIST} and C{MLSD} list every name, the bad one as its
        bytes; a pattern matching good names finds them.
        """
        def run():
            client = self.session()
            return [self.listed(client, command)
                    for command in ("NLST", "LIST", "MLSD", "NLST *.bin")]

        nlst, lines, facts, pattern = yield self.inThread(run)
        self.assertEqual(sorted(nlst.split()),
                         sorted([b"good.bin", BAD, b"lnk\xff"]))
        self.assertIn(b" " + BAD + b"\r\n", lines)
        self.assertIn(b"; " + BAD + b"\r\n", facts)
        self.assertIn(b"type=file;", facts.split(b"; lnk\xff")[0]
                      .rpartition(b"\r\n")[2])
        self.assertEqual(pattern.split(), [b"good.bin"])

    @defer.inlineCallbacks
    def test_statAndGoodNames(self):
        """
        C{STAT} of the directory lists the bad name; a good name is still
        downloaded.
        """
        def run():
            client = self.session()
            stat = client.command("STAT .")
            _, data, last = client.transfer("RETR good.bin")
            return stat, data, last

        stat, data, last = yield self.inThread(run)
        self.assertTrue(stat.startswith(b"212"), stat)
        # A byte 255 doubled, as Telnet's IAC on the control connection.
        self.assertIn(BAD.replace(b"\xff", b"\xff\xff"), stat)
        self.assertEqual((data, last[:3]), (b"good", b"226"))

    @defer.inlineCallbacks
    def test_largeDirectory(self):
        """
        A directory of more batches than are kept in flight
        (L{ftpkit.compat.sftpnames.READ_AHEADS}; OpenSSH sends at most
        100 names a batch) is listed whole, each name once.
        """
        big = os.path.join(os.fsencode(self.root), b"big")
        os.mkdir(big)
        names = {b"f%05d" % index for index in range(6000)} | {BAD}
        for name in names:
            open(os.path.join(big, name), "wb").close()

        def run():
            return self.listed(self.session(), "NLST big")

        listed = (yield self.inThread(run)).split(b"\r\n")[:-1]
        self.assertEqual(len(listed), len(names))
        self.assertEqual({name.rpartition(b"/")[2] for name in listed}, names)
