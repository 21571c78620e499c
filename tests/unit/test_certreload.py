"""
C{SIGHUP}'s reload of the TLS certificate and key
(L{ftpkit.control.tls.FTPSContextFactory.reloadInThread}): files that did
not change are not parsed again, and files that changed are parsed in a
thread while the reactor serves on, the old pair in force meanwhile.
"""

import os
import threading

from cryptography.hazmat.primitives.serialization import Encoding
from twisted.logger import Logger, globalLogPublisher
from twisted.trial import unittest

from ftpkit.control import tlsfiles
from ftpkit.control.tls import makeContextFactory
from ftpkit.deploy.hangup import reloadTargets
from tests.scratch import scratchDirectory
from tests.tlssupport import derOf, makeCertificate


class CertificateReloadTests(unittest.TestCase):
    """
    The certificate and key reloaded as C{SIGHUP} reloads them: through
    the target L{reloadTargets} finds for the context factory.
    """

    def setUp(self):
        """
        A context factory from a certificate and key, and a second pair
        to renew them with; the key parses counted, in C{parses} (the
        thread of each).
        """
        self.directory = scratchDirectory(self)
        self.cert, self.key, _ = makeCertificate(self.directory)
        self.factory = makeContextFactory(self.cert, self.key)
        [self.hangup] = reloadTargets([self.factory])
        os.makedirs(os.path.join(self.directory, "new"))
        self.newCert, self.newKey, _ = makeCertificate(
            os.path.join(self.directory, "new"))
        self.parses = []
        self.release = threading.Event()
        self.release.set()
        parseKey = tlsfiles._parseKey

        def counted(data, path):
            self.parses.append(threading.current_thread())
            # Blocks only off the reactor thread, where the test can wait.
            if threading.current_thread() is not threading.main_thread():
                self.release.wait()
            return parseKey(data, path)

        self.patch(tlsfiles, "_parseKey", counted)
        self.addCleanup(self.release.set)
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.logged.append)

    def renew(self):
        """
        Replace the files with the second pair.
        """
        os.replace(self.newCert, self.cert)
        os.replace(self.newKey, self.key)

    def lines(self, word):
        """
        @return: how many log lines hold C{word} in their format.
        """
        return len([event for event in self.logged
                    if word in (event.get("log_format") or "")])

    def test_unchangedNotParsed(self):
        """
        A C{SIGHUP} with files unchanged since they were found good parses
        nothing (an RSA-4096 key held every session 0.2 s, in each
        worker), keeps the contexts made and still says it reloaded.
        """
        contexts = self.factory._contexts
        chain = self.factory.chain
        self.assertTrue(self.factory.reload())
        self.assertEqual(self.parses, [])
        self.assertTrue(self.successResultOf(self.hangup()))
        self.assertEqual(self.parses, [])
        self.assertIs(self.factory.chain, chain)
        self.assertIs(self.factory._contexts, contexts)
        self.assertEqual(self.lines("reloaded the TLS"), 2)

    def test_unchangedAfterChange(self):
        """
        Files that changed are parsed once; the next C{SIGHUP}s, the
        files as they were then, parse nothing.
        """
        self.renew()
        d = self.hangup()

        def reloaded(result):
            self.assertTrue(result)
            self.assertEqual(len(self.parses), 1)
            return self.hangup()

        def again(result):
            self.assertTrue(result)
            self.assertEqual(len(self.parses), 1)
            self.assertEqual(self.factory.chain[0].public_bytes(
                Encoding.DER), derOf(self.cert))

        return d.addCallback(reloaded).addCallback(again)

    def test_changedParsedInThread(self):
        """
        A key that changed is parsed in a thread: the C{SIGHUP} target
        returns at once, the old pair serves (new contexts made from it)
        while the parse runs, and the new pair is in force once done.
        """
        before = self.factory.chain
        self.release.clear()
        self.renew()
        d = self.hangup()
        self.assertEqual(len(self.parses), 1)
        self.assertIsNot(self.parses[0], threading.main_thread())
        self.assertNoResult(d)
        self.assertIs(self.factory.chain, before)
        self.factory.makeContext()
        self.release.set()

        def reloaded(result):
            self.assertTrue(result)
            self.assertIsNot(self.factory.chain, before)
            self.assertEqual(self.lines("reloaded the TLS"), 1)

        return d.addCallback(reloaded)

    def test_badKeyInThread(self):
        """
        A new key that does not match the certificate, parsed in a
        thread, leaves the old pair in force, said in one line; the same
        files again are parsed again (they were never found good).
        """
        before = self.factory.chain
        os.replace(self.newCert, self.cert)
        d = self.hangup()

        def refused(result):
            self.assertFalse(result)
            self.assertIs(self.factory.chain, before)
            self.assertEqual(self.lines("not reloaded"), 1)
            return self.hangup()

        def again(result):
            self.assertFalse(result)
            self.assertEqual(len(self.parses), 2)

        return d.addCallback(refused).addCallback(again)


class AcceptorRefreshTests(unittest.TestCase):
    """
    L{tlsfiles.CertificateFiles.refreshInThread}: what the acceptor of
    C{--workers} keeps of the files at each round of pings.
    """

    def setUp(self):
        """
        Files loaded, a second pair to renew them with, and the key
        parses' threads in C{parses}.
        """
        self.directory = scratchDirectory(self)
        self.cert, self.key, _ = makeCertificate(self.directory)
        self.files = tlsfiles.CertificateFiles(self.cert, self.key)
        self.files.load(Logger())
        os.makedirs(os.path.join(self.directory, "new"))
        self.newCert, self.newKey, _ = makeCertificate(
            os.path.join(self.directory, "new"))
        self.parses = []
        parseKey = tlsfiles._parseKey

        def counted(data, path):
            self.parses.append(threading.current_thread())
            return parseKey(data, path)

        self.patch(tlsfiles, "_parseKey", counted)

    def test_changedInThread(self):
        """
        Files that changed are parsed in a thread and kept; unchanged, they
        are not read again.
        """
        self.assertIsNone(self.successResultOf(self.files.refreshInThread()))
        self.assertEqual(self.parses, [])
        os.replace(self.newCert, self.cert)
        os.replace(self.newKey, self.key)

        def refreshed(result):
            self.assertIsNone(result)
            self.assertEqual(len(self.parses), 1)
            self.assertIsNot(self.parses[0], threading.main_thread())
            self.assertEqual(self.files.keptFiles()[self.cert],
                             open(self.cert, "rb").read())

        return self.files.refreshInThread().addCallback(refreshed)

    def test_unusableKeepsOld(self):
        """
        A pair that cannot be used changes nothing, and fails nothing.
        """
        kept = self.files.keptFiles()
        os.replace(self.newCert, self.cert)

        def refreshed(result):
            self.assertIsNone(result)
            self.assertEqual(self.files.keptFiles(), kept)

        return self.files.refreshInThread().addCallback(refreshed)
