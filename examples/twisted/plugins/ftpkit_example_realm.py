"""
The C{tenants} realm plugin: C{--realm tenants} serves C{--root},
C{--realm tenants:DIR} serves C{DIR}, one directory per tenant.

Twisted finds this module because it sits in a C{twisted/plugins/}
directory on C{sys.path}. Keep it small: import the realm itself only
when it is used.
"""

import os

from twisted.plugin import IPlugin
from zope.interface import implementer

from ftpkit.interfaces import IRealmPlugin


@implementer(IPlugin, IRealmPlugin)
class TenantRealmPlugin:
    """
    Users log in as TENANT.USER and share ROOT/TENANT.
    """

    name = "tenants"
    description = "One directory per tenant: TENANT.USER sees ROOT/TENANT."
    argumentHelp = "ROOT, the directory of the tenants [default: --root]"

    def makeRealm(self, argument, options):
        """
        @param argument: the tenants' directory, or C{""} for C{--root}.
        @param options: the parsed server options.
        @return: a L{ftpkit_tenants.TenantRealm}.
        @raise ValueError: when the directory does not exist.
        """
        root = argument or options["root"]
        if not os.path.isdir(root):
            raise ValueError(f"tenants: {root!r} is not a directory")
        from ftpkit_tenants import TenantRealm

        return TenantRealm(root)


tenantRealm = TenantRealmPlugin()
