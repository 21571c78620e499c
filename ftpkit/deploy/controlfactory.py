"""
The control-channel factory a parsed command line (L{ftpkit.deploy.tap.Options})
describes (L{makeFactory}), and the portal its users log in through
(L{makePortal}): what every process that serves sessions builds
(L{ftpkit.deploy.service.makeService}).
"""

from twisted.cred.portal import Portal

from ftpkit.auth.checkers import AnyOfCheckers
from ftpkit.deploy.opsoptions import makeHub


def makePortal(realm, checkerList):
    """
    Build the portal users log in through.

    @param realm: the realm giving L{ftpkit.interfaces.IFTPShell} avatars.
    @param checkerList: the checkers from C{--auth}; a user any of them
        accepts logs in.
    @return: a L{Portal}: with the checkers themselves when no two share
        a credentials interface, else with one L{AnyOfCheckers} (which
        costs every login a few more Deferreds).
    """
    interfaces = [interface for checker in checkerList
                  for interface in checker.credentialInterfaces]
    if len(set(interfaces)) == len(interfaces):
        return Portal(realm, checkerList)
    return Portal(realm, [AnyOfCheckers(checkerList)])


def makeFactory(options, limiter=None):
    """
    Build the control-channel factory that C{options} describe.

    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    @param limiter: what admits sessions (see L{ftpkit.control.server.FTPFactory}).
    @return: an L{ftpkit.control.server.FTPFactory}.
    """
    from ftpkit.control.server import FTPFactory

    portal = makePortal(options["realmObject"],
                        options.get("credCheckers", []))
    return FTPFactory(portal, config=options["config"], limiter=limiter,
                      hub=makeHub(options["config"], options))
