"""
L{ftpkit.deploy.keptfiles}: the last good content of users and password
files, and of the TLS certificate and key, from the acceptor of
C{--workers} to its workers.
"""

import os
import weakref

from cryptography.hazmat.primitives.serialization import Encoding
from twisted.internet import defer
from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.auth import reloadingfile
from ftpkit.auth.passwordfile import PasswordFileChecker, PasswordFileError
from ftpkit.control.tlsfiles import CertificateFiles, TLSConfigurationError
from ftpkit.deploy import keptfiles
from tests.tlssupport import makeCertificate


class PackTests(unittest.SynchronousTestCase):
    """
    L{keptfiles.pack} and L{keptfiles.unpack}.
    """

    def test_roundTrip(self):
        """
        What L{keptfiles.pack} makes, L{keptfiles.unpack} gives back,
        whatever the bytes (none, NUL, not UTF-8).
        """
        files = {"/etc/a": b"", "/etc/\xe9": b"x\x00\xff" * 1000}
        self.assertEqual(keptfiles.unpack(keptfiles.pack(files)), files)

    def test_cutShort(self):
        """
        Data cut anywhere but between two files is a C{ValueError}.
        """
        data = keptfiles.pack({"/a": b"12345"})
        for end in range(1, len(data)):
            self.assertRaises(ValueError, keptfiles.unpack, data[:end])


class DescriptorTests(unittest.SynchronousTestCase):
    """
    L{keptfiles.anonymousFile} and L{keptfiles.receive}.
    """

    def setUp(self):
        self.addCleanup(keptfiles._kept.clear)
        self.addCleanup(keptfiles._received.clear)

    def test_received(self):
        """
        The content put in an anonymous file is what the worker reads,
        and the descriptor is closed.
        """
        descriptor = keptfiles.anonymousFile(
            keptfiles.pack({"/srv/passwd": b"bob:pw\n"}))
        keptfiles.receive(descriptor)
        self.assertEqual(keptfiles.keptContent("/srv/passwd"), b"bob:pw\n")
        self.assertRaises(OSError, os.fstat, descriptor)

    def test_noDescriptor(self):
        """
        A worker started without the descriptor keeps nothing.
        """
        reading, writing = os.pipe()
        os.close(reading)
        os.close(writing)
        keptfiles.receive(reading)
        self.assertEqual(keptfiles._kept, {})


class ReloadingFileTests(unittest.TestCase):
    """
    A password file (a L{ftpkit.auth.reloadingfile.ReloadingFile}) that
    cannot be used at start.
    """

    def setUp(self):
        self.path = os.path.abspath(self.mktemp())
        with open(self.path, "wb") as f:
            f.write(b"bob no colon\n")
        self.addCleanup(keptfiles._kept.clear)
        # This test's sources alone: another module's file left mid-reading
        # (test_reloadingfile's, its thread never answered) held
        # refreshAllInThread for ever.
        self.patch(keptfiles, "_sources", weakref.WeakSet())
        self.errors = []
        self.patch(Logger, "error",
                   lambda logger, text, **fields: self.errors.append(
                       fields["why"]))

    def test_withoutKept(self):
        """
        With nothing kept, it is the error it always was.
        """
        self.assertRaises(PasswordFileError, PasswordFileChecker, self.path)

    def test_kept(self):
        """
        With its content kept, the users are those of that content, the
        error is logged once, and a login finding the file unchanged
        logs nothing more.
        """
        keptfiles._kept[self.path] = b"bob:pw\n"
        checker = PasswordFileChecker(self.path)
        self.assertEqual(checker.users, {b"bob": b"pw"})
        checker.reloadIfChanged()
        self.assertEqual(len(self.errors), 1)
        self.assertIn("line 1", self.errors[0])

    def test_refreshInThread(self):
        """
        At each round of pings the acceptor reads and parses a changed
        file in a thread (L{keptfiles.refreshAllInThread}): what it keeps
        changes once the thread is done, not before (it was parsed in
        the acceptor's reactor); a bad file changes nothing, and an
        unchanged one starts no thread.
        """
        calls = []

        def deferToThread(function, *args):
            calls.append((function, args, defer.Deferred()))
            return calls[-1][2]

        def finish():
            function, args, done = calls.pop(0)
            defer.maybeDeferred(function, *args).chainDeferred(done)

        self.patch(reloadingfile, "inThread", deferToThread)
        with open(self.path, "wb") as f:
            f.write(b"bob:pw\n")
        checker = PasswordFileChecker(self.path)
        with open(self.path, "wb") as f:
            f.write(b"bob:pw2\n\n")
        done = keptfiles.refreshAllInThread()
        self.assertEqual(checker.keptFiles(), {self.path: b"bob:pw\n"})
        finish()
        self.successResultOf(done)
        self.assertEqual(checker.keptFiles(), {self.path: b"bob:pw2\n\n"})
        self.assertEqual(checker.users, {b"bob": b"pw2"})
        self.successResultOf(keptfiles.refreshAllInThread())
        self.assertEqual(calls, [])
        with open(self.path, "wb") as f:
            f.write(b"broken")
        done = keptfiles.refreshAllInThread()
        finish()
        self.successResultOf(done)
        self.assertEqual(checker.keptFiles(), {self.path: b"bob:pw2\n\n"})
        self.assertEqual(self.errors, [])

    def test_workerStartReadsNothing(self):
        """
        As it starts a worker, the acceptor hands what it last found good
        and reads nothing: it parsed a changed file in its reactor, every
        connection it hands on held meanwhile, for content the worker
        uses only of a file it cannot use as it starts (which a reading
        then would not have kept either).
        """
        with open(self.path, "wb") as f:
            f.write(b"bob:pw\n")
        checker = PasswordFileChecker(self.path)
        parses = []
        parse = checker._parse
        checker._parse = lambda *args: parses.append(args) or parse(*args)
        with open(self.path, "wb") as f:
            f.write(b"bob:pw2\n\n")
        descriptor = keptfiles.keptDescriptor()
        with os.fdopen(descriptor, "rb") as f:
            self.assertEqual(keptfiles.unpack(f.read()),
                             {self.path: b"bob:pw\n"})
        self.assertEqual(parses, [])

    def test_refreshKeepsGood(self):
        """
        L{ReloadingFile.refresh} keeps what changed and is good, and
        nothing of what is bad, without a line.
        """
        with open(self.path, "wb") as f:
            f.write(b"bob:pw\n")
        checker = PasswordFileChecker(self.path)
        with open(self.path, "wb") as f:
            f.write(b"bob:pw2\n\n")
        checker.refresh()
        self.assertEqual(checker.keptFiles(), {self.path: b"bob:pw2\n\n"})
        with open(self.path, "wb") as f:
            f.write(b"broken")
        checker.refresh()
        self.assertEqual(checker.keptFiles(), {self.path: b"bob:pw2\n\n"})
        self.assertEqual(self.errors, [])
        self.assertIn(self.path, keptfiles.keptFiles())


class CertificateFilesTests(unittest.TestCase):
    """
    L{CertificateFiles}: a certificate and key that cannot be used at
    start.
    """

    def setUp(self):
        self.addCleanup(keptfiles._kept.clear)
        self.directory = self.mktemp()
        os.mkdir(self.directory)
        self.cert, self.key, _ = makeCertificate(self.directory)
        self.errors = []
        self.log = Logger()
        self.log.error = lambda text, **fields: self.errors.append(
            fields["why"])

    def test_kept(self):
        """
        Files gone, their kept content is the pair, with one error; it is
        what the process keeps in turn.
        """
        files = CertificateFiles(self.cert, self.key)
        files.load(self.log)
        kept = files.keptFiles()
        self.assertEqual(sorted(kept), sorted(
            [os.path.abspath(self.cert), os.path.abspath(self.key)]))
        keptfiles._kept.update(kept)
        os.unlink(self.key)
        again = CertificateFiles(self.cert, self.key)
        chain, _ = again.load(self.log)
        self.assertEqual(chain[0].public_bytes(Encoding.PEM),
                         open(self.cert, "rb").read())
        self.assertEqual(len(self.errors), 1)
        self.assertIn("no such file", self.errors[0])
        self.assertEqual(again.keptFiles(), kept)

    def test_currentDirectoryRemoved(self):
        """
        Given relative paths, the pair is read again (C{SIGHUP}; the
        acceptor's refresh at each round of pings) after the directory
        they were relative to was removed: they are resolved once, at the
        start. Each refresh was a C{FileNotFoundError}, logged by the
        acceptor as a critical traceback every few seconds.
        """
        here = os.getcwd()
        self.addCleanup(os.chdir, here)
        run = os.path.abspath(self.mktemp())
        os.mkdir(run)
        os.chdir(run)
        files = CertificateFiles(os.path.relpath(os.path.join(here, self.cert)),
                                 os.path.relpath(os.path.join(here, self.key)))
        files.load(self.log)
        kept = files.keptFiles()
        os.rmdir(run)
        files.refresh()
        os.utime(os.path.join(here, self.cert), (0, 0))
        files.refresh()
        chain, _ = files.reload()
        self.assertEqual(chain[0].public_bytes(Encoding.PEM),
                         open(os.path.join(here, self.cert), "rb").read())
        self.assertEqual(files.keptFiles(), kept)
        self.assertEqual(self.errors, [])

    def test_withoutKept(self):
        """
        With nothing kept, it is the error it always was.
        """
        os.unlink(self.key)
        self.assertRaises(TLSConfigurationError,
                          CertificateFiles(self.cert, self.key).load,
                          self.log)


class CheckedByAcceptorTests(unittest.SynchronousTestCase):
    """
    L{keptfiles.checkedByAcceptor}.
    """

    def test_received(self):
        """
        False until the kept files were received, even none of them.
        """
        self.addCleanup(keptfiles._received.clear)
        self.assertFalse(keptfiles.checkedByAcceptor())
        keptfiles.receive(keptfiles.anonymousFile(b""))
        self.assertTrue(keptfiles.checkedByAcceptor())
