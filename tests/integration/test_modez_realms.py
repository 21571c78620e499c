"""
C{MODE Z} on each realm that has a store of its own (the disk, C{--realm
memory}, fsspec's C{memory://}), over clear and C{PROT P} data
connections: C{STOR}, C{STOU} and C{APPE} inflate the client's stream
into the file, C{RETR} after C{REST n} sends a new stream of the file
from byte C{n} and C{STOR} after it inflates the stream into the file
from there (docs/protocol.rst, "MODE Z": C{REST} counts file bytes).
Each file is read back in C{MODE S}, whatever the realm.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.loopback import LoopbackServerMixin
from tests.cutuploads import DiskRealmMixin, MemoryRealmMixin
from tests.deflateclient import retrDeflated, storDeflated
from tests.fsspecrealms import MemoryMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tlssupport import Certificates, clientContext

DATA = os.urandom(100000) + b"a compressible line\n" * 10000
"""A file's bytes: random, then compressible."""


class ModeZRealmMixin(Certificates, LoopbackServerMixin):
    """
    A server offering C{MODE Z} on the realm C{makeRealm} gives, with
    TLS; each test runs in clear, then under C{PROT P}.
    """

    timeout = 120

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(
                loginFailureDelay=0, modeZ=True,
                tlsContextFactory=makeContextFactory(self.both)))

    def login(self, tls):
        """
        Log in as alice (blocking), in C{TYPE I} and C{MODE Z}.

        @param tls: C{AUTH TLS} and C{PROT P}.
        @return: the ftplib client.
        """
        ftp = ftplibLogin(
            self, self.server.port, timeout=30, protect=tls, binary=True,
            client=ftplib.FTP_TLS(context=clientContext()) if tls else None)
        ftp.voidcmd("MODE Z")
        return ftp

    def readBack(self, ftp, name):
        """
        @return: the bytes of C{name}, downloaded in C{MODE S}; the
            session goes back to C{MODE Z}.
        """
        ftp.voidcmd("MODE S")
        chunks = []
        ftp.retrbinary("RETR " + name, chunks.append)
        ftp.voidcmd("MODE Z")
        return b"".join(chunks)

    def bothWays(self, run):
        """
        @param run: called with a logged-in client and a name prefix, in
            a thread, once in clear and once under C{PROT P}.
        @return: a Deferred firing when both ran.
        """
        def session(tls):
            ftp = self.login(tls)
            run(ftp, "tls-" if tls else "clear-")
            ftp.quit()
        return self.inThread(session, False).addCallback(
            lambda _: self.inThread(session, True))

    def test_storeAndRetrieve(self):
        """
        C{STOR} inflates the stream into the file; C{RETR} sends it back
        compressed.
        """
        def run(ftp, prefix):
            self.assertTrue(storDeflated(
                ftp, "STOR %sf" % prefix, DATA).startswith("226"))
            self.assertEqual(self.readBack(ftp, prefix + "f"), DATA)
            got, wire, reply = retrDeflated(ftp, "RETR %sf" % prefix)
            self.assertTrue(reply.startswith("226"), reply)
            self.assertEqual(got, DATA)
            self.assertLess(wire, len(DATA))
        return self.bothWays(run)

    def test_unique(self):
        """
        C{STOU} of a taken name inflates the stream into a new file
        (C{name.1}), the taken one unchanged.
        """
        def run(ftp, prefix):
            storDeflated(ftp, "STOR %su" % prefix, b"first")
            reply = storDeflated(ftp, "STOU %su" % prefix, DATA)
            self.assertTrue(reply.startswith("226"), reply)
            self.assertEqual(self.readBack(ftp, prefix + "u.1"), DATA)
            self.assertEqual(self.readBack(ftp, prefix + "u"), b"first")
        return self.bothWays(run)

    def test_append(self):
        """
        C{APPE} inflates the stream onto the end of the file, and onto a
        new one; C{APPE} after C{REST} of the file's size (Python's
        C{storbinary(..., rest=size)}) too.
        """
        def run(ftp, prefix):
            name = prefix + "a"
            storDeflated(ftp, "APPE " + name, b"new,")
            storDeflated(ftp, "APPE " + name, DATA)
            self.assertEqual(self.readBack(ftp, name), b"new," + DATA)
            size = ftp.size(name)
            self.assertEqual(size, 4 + len(DATA))
            ftp.sendcmd("REST %d" % size)
            storDeflated(ftp, "APPE " + name, b"end")
            self.assertEqual(self.readBack(ftp, name),
                             b"new," + DATA + b"end")
        return self.bothWays(run)

    def test_restartRetrieve(self):
        """
        C{REST n} then C{RETR}: a new stream of the file from byte C{n};
        C{REST} past the end gets C{554}, as in C{MODE S}.
        """
        def run(ftp, prefix):
            name = prefix + "r"
            ftp.voidcmd("MODE S")
            ftp.storbinary("STOR " + name, io.BytesIO(DATA))
            ftp.voidcmd("MODE Z")
            for offset in (1, 99999, len(DATA) - 1, len(DATA)):
                ftp.sendcmd("REST %d" % offset)
                got, _, reply = retrDeflated(ftp, "RETR " + name)
                self.assertTrue(reply.startswith("226"), reply)
                self.assertEqual(got, DATA[offset:], offset)
            ftp.sendcmd("REST %d" % (len(DATA) + 1))
            with self.assertRaises(ftplib.error_perm) as caught:
                retrDeflated(ftp, "RETR " + name)
            self.assertTrue(str(caught.exception).startswith("554"))
        return self.bothWays(run)

    def test_restartStore(self):
        """
        C{REST n} then C{STOR}: the stream is inflated into the file
        from byte C{n}, the bytes before it kept.
        """
        def run(ftp, prefix):
            name = prefix + "s"
            storDeflated(ftp, "STOR " + name, DATA)
            ftp.sendcmd("REST 1000")
            storDeflated(ftp, "STOR " + name, b"resumed")
            self.assertEqual(self.readBack(ftp, name),
                             DATA[:1000] + b"resumed")
        return self.bothWays(run)


class DiskTests(ModeZRealmMixin, DiskRealmMixin, unittest.TestCase):
    """
    The disk realm.
    """


class MemoryTests(ModeZRealmMixin, MemoryRealmMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecMemoryTests(MemoryMixin, ModeZRealmMixin, unittest.TestCase):
    """
    C{--realm fsspec:memory://}.
    """
