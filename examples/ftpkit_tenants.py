"""
An example realm for ftpkit: one directory per tenant.

A user logs in as C{TENANT.USER} (say C{acme.alice}) and sees
C{ROOT/TENANT} as C{/}, shared with the other users of that tenant. A
user whose own name starts with C{ro-} (C{acme.ro-auditor}) may only
look and download.

The plugin that makes C{--realm tenants[:ROOT]} pick it is
C{twisted/plugins/ftpkit_example_realm.py}, next to this module.
"""

import os

from twisted.cred import checkers, error
from twisted.cred.portal import IRealm
from zope.interface import implementer

from ftpkit.errors import UnsupportedAvatarInterface
from ftpkit.interfaces import IFTPShell
from ftpkit.realms import isSafeUserName
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.wrappers import ReadOnlyShell


def splitAvatarId(avatarId):
    """
    Split a login name into its tenant and user parts.

    @param avatarId: what the checker returned, C{str} or UTF-8 C{bytes}.
    @return: C{(tenant, user)}.
    @raise error.UnauthorizedLogin: unless it is C{TENANT.USER} with a
        tenant usable as a directory name.
    """
    if avatarId == checkers.ANONYMOUS:
        raise error.UnauthorizedLogin("tenants have no anonymous users")
    if isinstance(avatarId, bytes):
        avatarId = avatarId.decode("utf-8", "replace")
    tenant, dot, user = avatarId.partition(".")
    if not dot or not user or not isSafeUserName(tenant):
        raise error.UnauthorizedLogin("log in as TENANT.USER")
    return tenant, user


@implementer(IRealm)
class TenantRealm:
    """
    Give each user the directory of their tenant.

    @ivar root: the directory holding one directory per tenant.
    """

    def __init__(self, root):
        """
        @param root: an existing directory.
        """
        self.root = os.path.abspath(root)

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Build the shell of a user who logged in.

        @param avatarId: C{TENANT.USER}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        """
        if IFTPShell not in interfaces:
            raise UnsupportedAvatarInterface("only IFTPShell avatars")
        tenant, user = splitAvatarId(avatarId)
        home = os.path.join(self.root, tenant)
        os.makedirs(home, exist_ok=True)
        shell = FilesystemShell(home)
        if user.startswith("ro-"):
            shell = ReadOnlyShell(shell)
        return IFTPShell, shell, lambda: None
