"""
Sessions of a server on in-memory transports, with no sockets: a factory
(L{makeFactory}) whose users get a fresh L{MemoryShell} each
(L{ShellRealm}), a session of it from any address (L{connect}) and the
reply codes it wrote (L{replyCodes}); alice logged in from 127.0.0.1,
where passive listeners really listen (L{loggedInLoopback}), or on a
shell of the test's (L{loggedIn}); the replies to the commands a test sends
(L{repliesTo}); and the active data connection a C{PORT} asked for
(L{connectActive}).
"""

import re

from twisted.cred import checkers, portal
from twisted.internet import error
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell


@implementer(portal.IRealm)
class ShellRealm:
    """
    Gives every user a fresh L{MemoryShell} with a directory and a file.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = MemoryShell({"/d/f.txt": b"hello\n", "/top.bin": b"x" * 10})
        return IFTPShell, shell, lambda: None


def makeFactory(clock, **settings):
    """
    @param clock: the L{MemoryReactorClock} the factory uses.
    @param settings: L{ServerConfig} fields.
    @return: an L{FTPFactory} with user C{alice}/C{secret} and anonymous.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    thePortal = portal.Portal(
        ShellRealm(), [passwords, checkers.AllowAnonymousAccess()])
    return FTPFactory(thePortal, ServerConfig(**settings), clock)


def connect(factory, host="10.0.0.1"):
    """
    Start a session from C{host} (an IPv4 or IPv6 address) on a
    L{StringTransport}.

    @param factory: the server's factory (L{makeFactory}).
    @param host: the client's address.
    @return: C{(protocol, transport)}.
    """
    if ":" in host:
        peer = IPv6Address("TCP", host, 40000)
        local = IPv6Address("TCP", "2001:db8::21", 21)
    else:
        peer = IPv4Address("TCP", host, 40000)
        local = IPv4Address("TCP", "10.0.0.254", 21)
    protocol = factory.buildProtocol(peer)
    transport = StringTransport(hostAddress=local, peerAddress=peer)
    protocol.makeConnection(transport)
    return protocol, transport


def connectActive(clock, host="10.0.0.1", port=2048):
    """
    Make the active data connection the last C{PORT} asked for, on a
    L{StringTransport} (which pulls nothing from a producer unless told).

    @param clock: the factory's L{MemoryReactorClock}.
    @param host: the address C{PORT} named.
    @param port: the port C{PORT} named.
    @return: the data connection's protocol.
    """
    peer = IPv4Address("TCP", host, port)
    data = clock.tcpClients[-1][2].buildProtocol(peer)
    data.makeConnection(StringTransport(peerAddress=peer))
    clock.advance(0)
    return data


def loggedInLoopback(testCase, factory):
    """
    Log alice in on a session from 127.0.0.1 to 127.0.0.1:21, its replies
    so far cleared; the test's cleanup ends the session and closes the
    factory's pooled listeners.

    @param testCase: the running test.
    @param factory: the server's factory (L{makeFactory}).
    @return: C{(protocol, transport)}.
    """
    peer = IPv4Address("TCP", "127.0.0.1", 40000)
    protocol = factory.buildProtocol(peer)
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 21), peerAddress=peer)
    protocol.makeConnection(transport)
    testCase.addCleanup(factory.listenerPool.closeAll)
    testCase.addCleanup(protocol.connectionLost,
                        Failure(error.ConnectionDone()))
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    transport.clear()
    return protocol, transport


def replyCodes(transport):
    """
    @param transport: a session's L{StringTransport}.
    @return: the codes of the final lines of every reply written so far.
    """
    return [line[:3].decode() for line in transport.value().split(b"\r\n")
            if re.match(rb"^\d{3} ", line)]


@implementer(portal.IRealm)
class OneShellRealm:
    """
    Gives every login the same shell.
    """

    def __init__(self, shell):
        """
        @param shell: the shell every login gets.
        """
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, the shell, logout)}.
        """
        return IFTPShell, self.shell, lambda: None


def loggedIn(shell, **settings):
    """
    @param shell: the shell alice gets.
    @param settings: L{ServerConfig} fields.
    @return: C{(protocol, transport)} of alice logged in on C{shell}.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    factory = FTPFactory(
        portal.Portal(OneShellRealm(shell),
                      [passwords, checkers.AllowAnonymousAccess()]),
        ServerConfig(loginFailureDelay=0, **settings), MemoryReactorClock())
    protocol, transport = connect(factory)
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    transport.clear()
    return protocol, transport


def repliesTo(protocol, transport, *commands):
    """
    Send C{commands} one by one on a session.

    @param protocol: the session (L{connect}, L{loggedIn}).
    @param transport: its transport.
    @param commands: command lines, C{bytes} without their end of line.
    @return: the replies to C{commands}, one C{bytes} each (its lines).
    """
    replies = []
    for command in commands:
        transport.clear()
        protocol.dataReceived(command + b"\r\n")
        replies.append(transport.value())
    return replies
