"""
C{HASH} and C{OPTS HASH} are accepted exactly when C{FEAT} lists C{HASH}:
a shell without checksums (an fsspec store) refused C{HASH} but accepted
C{OPTS HASH MD5} with C{200}.
"""

from twisted.cred import checkers, portal
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer, noLongerProvides

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.interfaces import IFTPShell, IFTPShellFeatures, IFTPShellHash
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ShellWrapper
from tests.memorysessions import connect, repliesTo


def withoutHash():
    """
    @return: a shell of a file C{f.txt} that does not checksum.
    """
    shell = ShellWrapper(MemoryShell({"/f.txt": b"hello\n"}))
    noLongerProvides(shell, IFTPShellHash)
    return shell


def storeWithoutHash():
    """
    @return: a shell that checksums but says its storage cannot
        (L{IFTPShellFeatures}).
    """
    shell = ShellWrapper(MemoryShell({"/f.txt": b"hello\n"}))
    shell.unsupportedFeatures = lambda: frozenset({"HASH"})
    alsoProvides(shell, IFTPShellFeatures)
    return shell


@implementer(portal.IRealm)
class _Realm:
    def __init__(self, makeShell):
        self._makeShell = makeShell

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, self._makeShell(), lambda: None


def _session(makeShell):
    """
    @return: C{(protocol, transport)} of a session not logged in yet, whose
        user C{alice} (password C{secret}) gets C{makeShell()}.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    factory = FTPFactory(portal.Portal(_Realm(makeShell), [passwords]),
                         ServerConfig(loginFailureDelay=0),
                         MemoryReactorClock())
    protocol, transport = connect(factory)
    transport.clear()
    return protocol, transport




class HashOfferTests(unittest.TestCase):
    """
    L{ftpkit.control.handlers.offers.SessionOffers.hashOffered}.
    """

    def _loggedIn(self, makeShell):
        protocol, transport = _session(makeShell)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertIn(b"230 ", transport.value())
        return protocol, transport

    def test_refusedWithoutChecksums(self):
        """
        After login on a shell without L{IFTPShellHash}, C{FEAT} has no
        C{HASH} line, C{OPTS HASH MD5} gets C{501} (as an option C{FEAT}
        does not list) and C{HASH} C{502}.
        """
        protocol, transport = self._loggedIn(withoutHash)
        feat, opts, hashed = repliesTo(protocol, transport, b"FEAT",
                                      b"OPTS HASH MD5", b"HASH f.txt")
        self.assertNotIn(b" HASH ", feat)
        self.assertEqual(opts, b"501 HASH is not available here\r\n")
        self.assertTrue(hashed.startswith(b"502 "), hashed)

    def test_refusedWhereStorageCannot(self):
        """
        A shell whose storage says it cannot checksum
        (L{IFTPShellFeatures} naming C{HASH}) is treated as one without.
        """
        protocol, transport = self._loggedIn(storeWithoutHash)
        feat, opts, bare, hashed = repliesTo(
            protocol, transport, b"FEAT", b"OPTS HASH MD5", b"OPTS HASH",
            b"HASH f.txt")
        self.assertNotIn(b" HASH ", feat)
        self.assertTrue(opts.startswith(b"501 "), opts)
        self.assertTrue(bare.startswith(b"501 "), bare)
        self.assertTrue(hashed.startswith(b"502 "), hashed)

    def test_acceptedWithChecksums(self):
        """
        On a shell with checksums, C{OPTS HASH} chooses the algorithm
        C{HASH} then uses.
        """
        protocol, transport = self._loggedIn(
            lambda: MemoryShell({"/f.txt": b"hello\n"}))
        feat, opts, hashed = repliesTo(protocol, transport, b"FEAT",
                                      b"OPTS HASH MD5", b"HASH f.txt")
        self.assertIn(b" HASH SHA-256*;", feat)
        self.assertEqual(opts, b"200 MD5\r\n")
        self.assertTrue(hashed.startswith(b"213 MD5 0-6 "), hashed)

    def test_beforeLogin(self):
        """
        Before login, when the shell is not known yet, C{FEAT} lists
        C{HASH} and C{OPTS HASH} is accepted, as before.
        """
        protocol, transport = _session(withoutHash)
        feat, opts = repliesTo(protocol, transport, b"FEAT", b"OPTS HASH MD5")
        self.assertIn(b" HASH SHA-256*;", feat)
        self.assertEqual(opts, b"200 MD5\r\n")
