"""
An upload written in place (C{APPE}, C{REST} + C{STOR} of a file with no
partial upload to continue) cut by a reset of its data connection, then
resumed from C{SIZE}, over real loopback sockets, on each realm that
keeps cut uploads: the disk realm, C{--realm memory} (in clear and under
C{PROT P}, the reset ending the data connection without its TLS
close_notify), C{fsspec:memory://}, C{fsspec:file://} and
C{fsspec:sftp://}. What it wrote stays in the file, for everyone, so
that its resume goes on from there.

C{--realm memory} kept nothing of it (its upload stored the file only
once complete): C{SIZE} answered the file's size before the upload, and
the resume sent again what the cut upload had sent.
"""

import ftplib
import io

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests import cutuploads
from tests.cutuploads import HALF, NEW
from tests.fsspecrealms import LocalMixin, MemoryMixin, SFTPMixin
from tests.tlssupport import Certificates, clientContext

START = 50000
"""The bytes of L{NEW} the file holds before the upload written in
place."""


class CutInPlaceMixin(cutuploads.TwoUsersMixin):
    """
    alice's C{f} holds the first L{START} bytes of L{NEW}; she sends the
    next L{HALF} written in place, and the upload is cut. Subclasses say
    which realm (C{makeRealm}).
    """

    def cutThenResume(self, verb):
        """
        Store C{f}, cut the upload written in place, ask C{SIZE} as alice
        and bob, and resume from alice's (blocking).

        @param verb: C{APPE}, or C{STOR} (after C{REST}).
        @return: C{(the cut's reply, alice's SIZE, bob's SIZE, the
            resume's reply, whether C{f} is L{NEW} then, NLST)}.
        """
        alice = self.login()
        try:
            alice.storbinary("STOR f", io.BytesIO(NEW[:START]))
            code = cutuploads.cut(alice, "f", untilRead=True, start=START,
                                  verb=verb)
            bob = self.login("bob", "pw")
            bobs = cutuploads.sizeOf(bob, "f")
            bob.quit()
            size, done = cutuploads.resumeFromSize(alice, "f")
            whole = cutuploads.fetch(alice, "f") == NEW
            return code, size, bobs, done, whole, alice.nlst()
        finally:
            alice.quit()

    async def assertKept(self, verb):
        """
        The cut upload's bytes are in the file: alice's and bob's C{SIZE}
        answer more than the file held, no more than was sent, and the
        resume from there makes the file whole; no hidden file shows.

        @param verb: as for L{cutThenResume}.
        """
        code, size, bobs, done, whole, names = await self.inThread(
            self.cutThenResume, verb)
        self.assertEqual((code, done), ("426", "226"))
        self.assertTrue(START < size <= START + HALF, size)
        self.assertEqual(bobs, size)
        self.assertTrue(whole, "f is not the new file")
        self.assertEqual(names, ["f"])

    def test_appendCut(self):
        """
        A cut C{APPE} (curl's C{-C - -T} resumes so).
        """
        return self.assertKept("APPE")

    def test_resumeCut(self):
        """
        A cut C{REST} + C{STOR} (lftp's C{put -c} resumes so).
        """
        return self.assertKept("STOR")


class DiskTests(cutuploads.DiskRealmMixin, CutInPlaceMixin, unittest.TestCase):
    """
    The disk realm, which writes the file in place.
    """


class MemoryTests(cutuploads.MemoryRealmMixin, CutInPlaceMixin,
                  unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecMemoryTests(MemoryMixin, CutInPlaceMixin, unittest.TestCase):
    """
    C{--realm fsspec:memory://}.
    """


class FsspecLocalTests(LocalMixin, CutInPlaceMixin, unittest.TestCase):
    """
    C{--realm fsspec:file://}.
    """


class MemoryTLSTests(Certificates, MemoryTests):
    """
    C{--realm memory} under C{PROT P}.
    """

    def setUp(self):
        self.makeCertificates()
        return super().setUp()

    def serverSettings(self):
        """
        @return: explicit FTPS (L{tests.tlssupport.Certificates}).
        """
        return {"tlsContextFactory": makeContextFactory(self.both)}

    def clientOptions(self):
        """
        @return: an FTPS client, its data connections protected.
        """
        return {"client": ftplib.FTP_TLS(context=clientContext()),
                "protect": True}


class FsspecSFTPTests(SFTPMixin, CutInPlaceMixin, unittest.TestCase):
    """
    C{--realm fsspec:sftp://}, through an OpenSSH server on loopback.
    """

    timeout = 180
