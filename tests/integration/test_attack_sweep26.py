"""
The twenty-sixth attack sweep, over real loopback sockets.

A cut upload of a file whose name is longer than 239 bytes (80 CJK
characters in UTF-8 are 240) kept nothing: its partial upload is named
C{.ftpkit-partial.NAME}, which could not be made longer than a name may
be. So its uploader's C{SIZE} answered the old file's size, and a client
resuming from it (curl's C{-C - -T}, lftp's C{put -c} and its retries,
WinSCP) wrote the new file's rest after the old file's start in place:
told C{226}, it left a file that was neither version (the outcome the
session 27 fix of a cut replacing upload's resume, C{a4f8051}, is about,
for the names too long for it). A crashed upload of a name over about
210 bytes had the same end: its temporary file had no room for the
name, so the sweep at the next start removed it. The hidden files of a
name over 200 bytes now name it by a stand-in
(L{ftpkit.shells.uploadnames.targetLabel}), so its cut upload is kept
and resumed as any other, and a crashed one's temporary file becomes its
partial upload (L{LongNameResumeTests}).
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import uploads
from tests.ftpclient import ftplibLogin
from tests.integration.test_hardening import hardClose
from tests.integration.test_uploads import UploadRoot
from tests.scratch import readLocal, writeLocal

LONG = "名" * 80
"""A name of 240 bytes in UTF-8: one past the longest that
C{.ftpkit-partial.NAME} can follow."""

OLD = b"old bytes " * 300
"""What the file the uploads replace held before."""


class LongNameResumeTests(UploadRoot, LoopbackServerMixin, unittest.TestCase):
    """
    A cut upload of a long name is kept for its resumer, whose resume
    then makes the new file whole.
    """

    def setUp(self):
        self.makeRoot()
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))
        self.target = self.path(LONG.encode())
        writeLocal(self.target, OLD)

    def cutThenResume(self, new):
        """
        Send half of C{new} over the long-named file and cut the upload
        (a reset), then resume it as curl's C{-C - -T} and lftp do: ask
        C{SIZE}, and send the rest from there (blocking).

        @return: C{(cut reply, SIZE answer)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        connection = ftp.transfercmd("STOR " + LONG)
        connection.sendall(new[:len(new) // 2])
        hardClose(connection)
        try:
            cut = ftp.voidresp()
        except ftplib.Error as e:
            cut = str(e)
        kept = ftp.size(LONG)
        ftp.storbinary("STOR " + LONG, io.BytesIO(new[kept:]),
                       rest=kept or None)
        ftp.quit()
        return cut[:3], kept

    async def test_cutKept(self):
        """
        C{SIZE} answers what the cut upload kept, not the old file's size,
        and the resumed file is the new one; no hidden file is left.
        """
        new = os.urandom(200000)
        cut, kept = await self.inThread(self.cutThenResume, new)
        self.assertEqual(cut, "426")
        self.assertLessEqual(kept, len(new) // 2)
        self.assertEqual(readLocal(self.target), new)
        self.assertEqual(os.listdir(self.root), [LONG.encode()])

    def test_crashSwept(self):
        """
        A crashed upload's temporary file of a long name becomes its
        partial upload at the next start's sweep, which its resume then
        continues.
        """
        crashed = self.path(uploads.temporaryName(LONG.encode()))
        writeLocal(crashed, b"half")
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(readLocal(uploads.partialPath(self.target)), b"half")
        self.assertEqual(uploads.resumableSize(self.target), 4)

    def test_labels(self):
        """
        A long name's label fits in a hidden file's name, is what its
        temporary files name, is its own label (the sweep finds the
        partial upload from the temporary file's), is hidden, and differs
        for two names; a name of 200 bytes is its own.
        """
        for name in (LONG.encode(), b"x" * 201, b"x" * 255):
            label = uploads.targetLabel(name)
            self.assertNotEqual(label, name)
            self.assertLessEqual(len(uploads.partialPath(label)), 255)
            temporary = uploads.temporaryName(name)
            self.assertLessEqual(len(temporary), 255)
            self.assertEqual(uploads.targetOfTemporary(temporary), label)
            self.assertEqual(uploads.targetLabel(label), label)
            self.assertTrue(uploads.isHidden(label))
            self.assertNotEqual(uploads.targetLabel(name + b"x"), label)
        short = b"x" * 200
        self.assertEqual(uploads.targetLabel(short), short)
        self.assertEqual(uploads.targetOfTemporary(
            uploads.temporaryName(short)), short)
