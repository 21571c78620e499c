"""
A realm that gives every user the same bare L{MemoryShell}, as a
third-party realm that never heard of ftpkit's wrappers would
(L{BareRealm}), a factory around it (L{bareFactory}) and a session logged
in on that factory (L{loggedIn}).
"""

from twisted.cred import portal
from twisted.internet.testing import MemoryReactorClock
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, replyCodes


@implementer(portal.IRealm)
class BareRealm:
    """
    Gives every user the same bare L{MemoryShell}: no wrapper, no rules of
    its own, as a third-party realm that never heard of
    L{ftpkit.auth.realms.wrapForUser} would.

    @ivar shell: the shared shell.
    """

    def __init__(self):
        self.shell = MemoryShell({"/old.txt": b"original\n", "/d/f": b"f"})

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, self.shell, lambda: None


def bareFactory(**settings):
    """
    @param settings: L{ServerConfig} fields.
    @return: an L{ftpkit.control.server.FTPFactory} on a L{MemoryReactorClock}
        around a L{BareRealm}, with user C{alice}/C{secret} and anonymous.
    """
    from ftpkit.control.server import FTPFactory
    from ftpkit.loopback import makePortal

    realm = BareRealm()
    factory = FTPFactory(makePortal(realm, {"alice": "secret"}),
                         ServerConfig(**settings), MemoryReactorClock())
    factory.realm = realm
    return factory


def loggedIn(factory, user=b"alice", password=b"secret"):
    """
    @param factory: the server's factory (L{bareFactory}).
    @param user: who logs in.
    @param password: their password.
    @return: C{(protocol, transport)} of a session logged in as C{user},
        its transport cleared.
    """
    protocol, transport = connect(factory)
    protocol.dataReceived(b"USER " + user + b"\r\nPASS " + password
                          + b"\r\n")
    assert replyCodes(transport)[-1] == "230", transport.value()
    transport.clear()
    return protocol, transport
