"""
Names that are not UTF-8 (the bytes C{b"caf\\xe9"}), round trip: a name a
client reads in a listing or a reply works as it is in the next command.
Python's ftplib with C{encoding="latin-1"} sends and reads such bytes as
they are, as clients falling back to a legacy charset do.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

FILE = "caf\xe9"
"""A file's name as latin-1 text: the byte C{0xe9} is no UTF-8."""

DIRECTORY = "d\xe9r"
"""A directory's."""


class RecordingFTP(ftplib.FTP):
    """
    An ftplib client that keeps every reply it read.

    @ivar replies: the replies, oldest first.
    """

    def __init__(self):
        ftplib.FTP.__init__(self, encoding="latin-1")
        self.replies = []

    def getresp(self):
        """
        Read a reply and keep it.

        @return: the reply.
        """
        try:
            reply = ftplib.FTP.getresp(self)
        except ftplib.Error as e:
            self.replies.append(str(e))
            raise
        self.replies.append(reply)
        return reply


class RawNameTests(LoopbackServerMixin, unittest.TestCase):
    """
    Each way a name reaches the client, then used in a command.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        raw = self.root.encode()
        with open(os.path.join(raw, FILE.encode("latin-1")), "wb") as f:
            f.write(b"latin\n")
        os.mkdir(os.path.join(raw, DIRECTORY.encode("latin-1")))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, function):
        """
        Run C{function(ftp)} in a thread with a logged-in latin-1 client.

        @return: a Deferred with its result.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port,
                              client=RecordingFTP())
            try:
                return function(ftp)
            finally:
                ftp.close()
        return self.inThread(run)

    async def test_workingDirectory(self):
        """
        C{PWD} after C{CWD} into the directory names it with its bytes, and
        C{CWD} back to that path works (lftp and FileZilla keep the path
        C{PWD} gave and send it back); the C{250} of C{CWD} names it too.
        It was C{"/d?r"}, which no C{CWD} could find.
        """
        def run(ftp):
            changed = ftp.cwd(DIRECTORY)
            where = ftp.pwd()
            ftp.cwd("/")
            return changed, where, ftp.cwd(where), ftp.pwd()
        changed, where, again, back = await self.session(run)
        self.assertEqual(where, "/" + DIRECTORY)
        self.assertIn("/" + DIRECTORY, changed)
        self.assertTrue(again.startswith("250"))
        self.assertEqual(back, where)

    async def test_madeDirectory(self):
        """
        The path in C{MKD}'s C{257} is the one made: C{CWD} and C{RMD}
        take it.
        """
        def run(ftp):
            made = ftp.mkd("n" + DIRECTORY)
            entered = ftp.cwd(made)
            ftp.cwd("/")
            return made, entered, ftp.rmd(made)
        made, entered, removed = await self.session(run)
        self.assertEqual(made, "/n" + DIRECTORY)
        self.assertTrue(entered.startswith("250"))
        self.assertTrue(removed.startswith("250"))
        self.assertFalse(os.path.exists(os.path.join(
            self.root.encode(), b"nd\xe9r")))

    async def test_listedNames(self):
        """
        C{NLST}, C{MLSD}, C{LIST} and C{STAT} of the directory give the
        name's bytes, and C{RETR}, C{RNFR} with C{RNTO} and C{DELE} take
        it.
        """
        def run(ftp):
            listed = {"NLST": ftp.nlst(),
                      "MLSD": [name for name, facts in ftp.mlsd()]}
            lines = []
            ftp.retrlines("LIST", lines.append)
            listed["LIST"] = [line.split(None, 8)[-1] for line in lines]
            status = ftp.sendcmd("STAT .").splitlines()[1:-1]
            listed["STAT"] = [line.split(None, 8)[-1] for line in status]
            out = io.BytesIO()
            ftp.retrbinary("RETR " + FILE, out.write)
            ftp.sendcmd("RNFR " + FILE)
            ftp.sendcmd("RNTO " + FILE + "2")
            return listed, out.getvalue(), ftp.delete(FILE + "2")
        listed, data, deleted = await self.session(run)
        for how, names in listed.items():
            self.assertIn(FILE, names, how)
            self.assertIn(DIRECTORY, names, how)
        self.assertEqual(data, b"latin\n")
        self.assertTrue(deleted.startswith("250"))
        self.assertEqual(os.listdir(self.root.encode()), [b"d\xe9r"])

    async def test_machineListing(self):
        """
        C{MLST} names the entry with its bytes (RFC 3659: the pathname as
        the server knows it), which C{CWD} takes.
        """
        def run(ftp):
            entry = ftp.sendcmd("MLST " + DIRECTORY).splitlines()[1]
            path = entry.split("; ", 1)[1]
            return path, ftp.cwd(path)
        path, entered = await self.session(run)
        self.assertEqual(path, "/" + DIRECTORY)
        self.assertTrue(entered.startswith("250"))

    async def test_uniqueName(self):
        """
        The name C{STOU} chose, in its C{150 FILE:} reply, is the file
        made: C{DELE} takes it.
        """
        def run(ftp):
            ftp.cwd(DIRECTORY)
            ftp.voidcmd("TYPE I")
            connection, _ = ftp.ntransfercmd("STOU " + FILE)
            connection.close()
            ftp.voidresp()
            chosen = ftp.replies[-2].split("FILE: ", 1)[1]
            return chosen, ftp.delete(chosen)
        chosen, deleted = await self.session(run)
        self.assertTrue(chosen.startswith(FILE), chosen)
        self.assertTrue(deleted.startswith("250"))
        self.assertEqual(os.listdir(os.path.join(
            self.root.encode(), b"d\xe9r")), [])
