"""
C{STOU} whose argument names a directory (C{.}, C{..}, C{/}, a directory
that exists, text ending in C{/}): the upload gets a unique name inside
that directory, never one made from the directory's own name, and never
outside the root; its C{150} names it (RFC 1123: C{FILE: name}).
"""

import ftplib
import io
import os

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin, clientContext

DEFAULT = "ftpkit.upload"
"""The name C{STOU} gives an upload when the client names none."""


class _Recording:
    """
    An ftplib client keeping the replies to the commands it sends (the
    C{150} of a transfer command among them).

    @ivar replies: the replies, oldest first.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.replies = []

    def sendcmd(self, cmd):
        reply = super().sendcmd(cmd)
        self.replies.append(reply)
        return reply


class _RecordingFTP(_Recording, ftplib.FTP):
    pass


class _RecordingFTPTLS(_Recording, ftplib.FTP_TLS):
    pass


class UniqueNameTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{STOU} with ftplib, in clear and under C{PROT P}, and with raw
    commands, from C{/pub} (C{/pub/sub} exists).
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.outer = scratchDirectory(self)
        self.root = os.path.join(self.outer, "root")
        os.makedirs(os.path.join(self.root, "pub", "sub"))
        self.serve()

    def before(self):
        """
        @return: every path in the root and beside it, relative to the
            root.
        """
        found = set()
        for directory, names, files in os.walk(self.outer):
            for name in names + files:
                found.add(os.path.relpath(os.path.join(directory, name),
                                          self.root))
        return found

    async def upload(self, argument, protect=False):
        """
        C{CWD /pub}, then C{STOU argument} with ftplib.

        @return: the name the C{150} gave, the final reply's code, and
            the paths (relative to the root) made by the upload.
        """
        before = self.before()

        def run():
            if protect:
                ftp = ftplibLogin(self, self.server.port, protect=True,
                                  client=_RecordingFTPTLS(
                                      context=clientContext()))
            else:
                ftp = ftplibLogin(self, self.server.port,
                                  client=_RecordingFTP())
            ftp.cwd("/pub")
            command = "STOU" + ("" if argument is None else " " + argument)
            final = ftp.storbinary(command, io.BytesIO(b"unique\n"))
            opening = ftp.replies[-1]
            ftp.quit()
            return opening, final

        opening, final = await self.inThread(run)
        self.assertEqual(opening[:10], "150 FILE: ", opening)
        return opening[10:], final[:3], self.before() - before

    async def assertStored(self, argument, where, protect=False):
        """
        C{STOU argument} makes C{DEFAULT} in C{where} (relative to the
        root), holding the upload.
        """
        name, final, made = await self.upload(argument, protect)
        path = os.path.join(where, DEFAULT) if where else DEFAULT
        self.assertEqual((name, final, made), (DEFAULT, "226", {path}))
        with open(os.path.join(self.root, path), "rb") as f:
            self.assertEqual(f.read(), b"unique\n")

    def test_noArgument(self):
        """
        C{STOU} alone: C{DEFAULT} in the current directory.
        """
        return self.assertStored(None, "pub")

    def test_dot(self):
        """
        C{STOU .}: in the current directory, not C{/pub.1} beside it.
        """
        return self.assertStored(".", "pub")

    def test_dotProtected(self):
        """
        C{STOU .} under C{PROT P}.
        """
        return self.assertStored(".", "pub", protect=True)

    def test_dotDot(self):
        """
        C{STOU ..}: in the parent directory, the root.
        """
        return self.assertStored("..", "")

    def test_root(self):
        """
        C{STOU /}: in the root, not refused.
        """
        return self.assertStored("/", "", protect=True)

    def test_aboveRoot(self):
        """
        C{STOU ../../..}: the root is its own parent, so the file is
        made in it, never beside it.
        """
        return self.assertStored("../../..", "")

    def test_existingDirectory(self):
        """
        C{STOU sub}, a directory: in it, not C{sub.1} beside it.
        """
        return self.assertStored("sub", os.path.join("pub", "sub"))

    def test_trailingSlash(self):
        """
        C{STOU sub/.}, and C{STOU sub/}: in C{sub}.
        """
        return self.assertStored("sub/.", os.path.join("pub", "sub"))

    async def test_taken(self):
        """
        A second C{STOU .} gets the next name; a file named is still the
        first name tried (C{name}, then C{name.1}).
        """
        await self.assertStored(".", "pub")
        name, final, made = await self.upload(".")
        self.assertEqual((name, final, made),
                         (DEFAULT + ".1", "226",
                          {os.path.join("pub", DEFAULT + ".1")}))
        name, final, made = await self.upload("f.txt")
        self.assertEqual((name, final, made),
                         ("f.txt", "226", {os.path.join("pub", "f.txt")}))
        name, final, made = await self.upload("f.txt")
        self.assertEqual((name, final, made),
                         ("f.txt.1", "226",
                          {os.path.join("pub", "f.txt.1")}))

    async def test_rawCommands(self):
        """
        Raw C{STOU} lines naming directories, each over a passive
        connection: C{150 FILE: name}, C{226}, and the file inside.
        """
        def run():
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login()
            client.command("CWD /pub/sub")
            results = []
            for line in ("STOU ./", "STOU ../sub", "STOU /pub/", "STOU ."):
                opening, _, final = client.transfer(line, b"x")
                results.append((opening, final[:3]))
            return results

        results = await self.inThread(run)
        self.assertEqual(results, [
            (b"150 FILE: " + DEFAULT.encode(), b"226"),
            (b"150 FILE: " + DEFAULT.encode() + b".1", b"226"),
            (b"150 FILE: " + DEFAULT.encode(), b"226"),
            (b"150 FILE: " + DEFAULT.encode() + b".2", b"226")])
        self.assertEqual(
            sorted(os.listdir(os.path.join(self.root, "pub", "sub"))),
            [DEFAULT, DEFAULT + ".1", DEFAULT + ".2"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "pub"))),
                         [DEFAULT, "sub"])

    async def test_afterRest(self):
        """
        C{REST 5} then C{STOU}: C{503}, no file made (the offset was
        ignored: C{226} for a new file); the next C{STOU} works.
        """
        before = self.before()

        def run():
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE I")
            rest = client.command("REST 5")
            refused = client.transfer("STOU", b"tail")[0]
            opening, _, final = client.transfer("STOU", b"whole")
            return rest[:3], refused[:3], opening, final[:3]

        self.assertEqual(await self.inThread(run),
                         (b"350", b"503", b"150 FILE: " + DEFAULT.encode(),
                          b"226"))
        self.assertEqual(self.before() - before, {DEFAULT})
