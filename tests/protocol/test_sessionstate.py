"""
Tests for L{ftpkit.protocol.sessionstate}: the session is one value, C{REIN}
replaces it, and each handler module names the fields it uses.
"""

import ast
import dataclasses
import inspect

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.commandrunning import CommandRunning
from ftpkit.control.connectionlife import ConnectionLife
from ftpkit.control.handlers.checksums import ChecksumCommands
from ftpkit.control.handlers.datachannel import DataChannelCommands
from ftpkit.control.handlers.files import FileCommands
from ftpkit.control.handlers.host import HostCommands
from ftpkit.control.handlers.identity import IdentityCommands
from ftpkit.control.handlers.listings import ListingCommands
from ftpkit.control.handlers.login import LoginCommands
from ftpkit.control.handlers.offers import SessionOffers
from ftpkit.control.handlers.reporting import SessionReporting
from ftpkit.control.handlers.securefxp import SecureFxpCommands
from ftpkit.control.handlers.security import SecurityCommands
from ftpkit.control.handlers.session import SessionCommands
from ftpkit.control.handlers.site import SiteCommands
from ftpkit.control.handlers.transferring import Transferring
from ftpkit.control.handlers.transfers import TransferCommands
from ftpkit.control.handlers.unique import UniqueUploadCommands
from ftpkit.control.server import FTPProtocol
from ftpkit.control.tlsstate import ControlTLS
from ftpkit.protocol.sessionstate import Session
from tests.memorysessions import connect, makeFactory, replyCodes

FIELDS = {field.name for field in dataclasses.fields(Session)}

HANDLERS = [LoginCommands, HostCommands, SessionCommands, SessionOffers,
            SiteCommands,
            IdentityCommands,
            FileCommands,
            DataChannelCommands, SecurityCommands, SessionReporting,
            Transferring, TransferCommands, UniqueUploadCommands,
            ListingCommands, ChecksumCommands, SecureFxpCommands,
            CommandRunning, ConnectionLife]
"""Every handler class of L{ftpkit.control.server.FTPProtocol}, and the
mixins that run their commands and the connection's life: each names the
session's fields it uses."""


def sessionFieldsUsed(cls):
    """
    Find the session fields a class's methods use: attributes of
    C{self.session}, or of a local C{session} variable.

    @param cls: a handler class.
    @return: the set of field names.
    """
    tree = ast.parse(inspect.getsource(inspect.getmodule(cls)))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for inner in ast.walk(node):
                if not isinstance(inner, ast.Attribute):
                    continue
                owner = inner.value
                if (isinstance(owner, ast.Attribute)
                        and owner.attr == "session"
                        and isinstance(owner.value, ast.Name)
                        and owner.value.id == "self"):
                    used.add(inner.attr)
                elif isinstance(owner, ast.Name) and owner.id == "session":
                    used.add(inner.attr)
    return used


class DeclarationTests(unittest.TestCase):
    """
    Each handler class declares, in C{sessionFields}, the fields of the
    L{Session} it uses, and uses no others.
    """

    def test_everyHandlerClass(self):
        """
        Every handler mixin of L{FTPProtocol} is checked here, and every
        other of its mixins that uses the session (L{CommandRunning},
        L{ConnectionLife}).
        """
        mixins = [cls for cls in FTPProtocol.__mro__[1:]
                  if cls.__module__.startswith("ftpkit.control.handlers.")
                  or (cls.__module__.startswith("ftpkit.")
                      and sessionFieldsUsed(cls))]
        self.assertEqual(set(mixins), set(HANDLERS))

    def test_declaredFieldsExist(self):
        """
        Every declared field is a field of L{Session}.
        """
        for cls in HANDLERS:
            self.assertEqual(cls.sessionFields - FIELDS, set(), cls)

    def test_declarationsMatchUse(self):
        """
        A handler class uses exactly the session fields it declares.
        """
        for cls in HANDLERS:
            self.assertEqual(sessionFieldsUsed(cls), set(cls.sessionFields),
                             cls)

    def test_handlersKeepNoSessionState(self):
        """
        No handler class keeps a session field as an attribute of its
        own, which C{REIN} would then leave behind.
        """
        for cls in HANDLERS:
            self.assertEqual(FIELDS & set(vars(cls)), set(), cls)


def loggedIn(factory):
    """
    @return: C{(protocol, transport)} of a session logged in as alice,
        its transport cleared.
    """
    protocol, transport = connect(factory)
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    transport.clear()
    return protocol, transport


class ReinitializeTests(unittest.TestCase):
    """
    After C{REIN} a session is as a new connection's, except for what
    belongs to the connection.
    """

    def test_settingsReset(self):
        """
        C{EPSV ALL}, C{OPTS MLST}, C{OPTS HASH}, C{TYPE}, C{REST}, the
        current directory and a pending C{RNFR} do not survive C{REIN}.
        """
        factory = makeFactory(MemoryReactorClock())
        fresh, freshTransport = loggedIn(factory)
        fresh.dataReceived(b"FEAT\r\nSTAT\r\n")
        expected = freshTransport.value()
        protocol, transport = loggedIn(factory)
        protocol.dataReceived(
            b"EPSV ALL\r\nOPTS MLST type;\r\nOPTS HASH MD5\r\nTYPE I\r\n"
            b"REST 5\r\nCWD /d\r\nRNFR f.txt\r\n")
        self.assertEqual(replyCodes(transport),
                         ["200", "200", "200", "200", "350", "250", "350"])
        protocol.dataReceived(b"REIN\r\nUSER alice\r\nPASS secret\r\n")
        transport.clear()
        protocol.dataReceived(b"FEAT\r\nSTAT\r\n")
        self.assertEqual(transport.value(), expected)
        transport.clear()
        protocol.dataReceived(b"PWD\r\nRNTO g.txt\r\n"
                              b"PORT 10,0,0,1,200,10\r\n")
        self.assertEqual(replyCodes(transport), ["257", "503", "200"])
        self.assertIn(b'"/"', transport.value())
        self.assertEqual(protocol.session, Session(
            username="alice", access=protocol.session.access,
            shell=protocol.session.shell, realmLogout=protocol.session.realmLogout))

    def test_loggedOut(self):
        """
        C{REIN} logs the user out: commands need a login again.
        """
        protocol, transport = loggedIn(makeFactory(MemoryReactorClock()))
        protocol.dataReceived(b"REIN\r\nPWD\r\n")
        self.assertEqual(replyCodes(transport), ["220", "530"])
        self.assertIsNone(protocol.session.shell)

    def test_anonymousForgotten(self):
        """
        An anonymous user's rules do not outlive C{REIN}: the next user is
        held to their own.
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\nREIN\r\n"
                              b"USER alice\r\nPASS secret\r\nMKD /new\r\n")
        self.assertEqual(replyCodes(transport)[-1], "257")

    def test_failedLoginsSurvive(self):
        """
        C{REIN} does not reset the count of failed logins: it cannot buy
        more password guesses.
        """
        factory = makeFactory(MemoryReactorClock(), maxLoginAttempts=2,
                              loginFailureDelay=0)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\nREIN\r\n"
                              b"USER alice\r\nPASS wrong\r\n")
        self.assertEqual(replyCodes(transport)[-2:], ["530", "421"])
        self.assertTrue(transport.disconnecting)

    def test_refusedUnderTLS(self):
        """
        On a control connection under TLS, C{REIN} gets C{502} and changes
        nothing: the user is still logged in, TLS and C{PROT} stay.
        """
        protocol, transport = loggedIn(makeFactory(MemoryReactorClock()))
        protocol.tls = ControlTLS(controlSecure=True, protectData=True)
        protocol.dataReceived(b"REIN\r\nPWD\r\n")
        self.assertEqual(replyCodes(transport), ["502", "257"])
        self.assertTrue(protocol.tls.controlSecure)
        self.assertTrue(protocol.tls.protectData)

    def test_protectionSurvivesAfterCCC(self):
        """
        After C{CCC} (the control connection in clear, C{PROT P} kept),
        C{REIN} logs out and keeps the protection level: it cannot be
        lowered over the clear channel.
        """
        protocol, transport = loggedIn(makeFactory(MemoryReactorClock()))
        protocol.tls = ControlTLS(protectData=True)
        protocol.dataReceived(b"REIN\r\nPWD\r\n")
        self.assertEqual(replyCodes(transport), ["220", "530"])
        self.assertTrue(protocol.tls.protectData)


class RateLimitsTests(unittest.TestCase):
    """
    A session's own rate limits (L{Session.rateLimits}) are a C{dict} made
    at its first transfer: an idle session, the kind a server holds by
    the thousand, holds none (64 bytes each).
    """

    def test_idleHoldsNone(self):
        """
        A logged-in session that never transferred holds no C{dict}.
        """
        protocol, _ = loggedIn(makeFactory(MemoryReactorClock()))
        self.assertIsNone(protocol.session.rateLimits)

    def test_madeAtFirstTransfer(self):
        """
        The pacing of a transfer makes the C{dict}, and every later
        transfer of the session draws on the same one.
        """
        protocol, _ = loggedIn(makeFactory(MemoryReactorClock()))
        protocol._pacer(False)
        limits = protocol.session.rateLimits
        self.assertEqual(limits, {})
        protocol._pacer(True)
        self.assertIs(protocol.session.rateLimits, limits)
