"""
ftpkit inside a Twisted program of your own (C{docs/embedding.rst}).

    python embedded_server.py DIRECTORY USER:PASSWORD [ENDPOINT [CERT.pem]]

serves DIRECTORY to USER on ENDPOINT (C{tcp:2121} by default), with
C{AUTH TLS} when given a PEM file holding a certificate and its key.
Ctrl-C or C{SIGTERM} lets running transfers finish before it exits.
"""

import os
import sys

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import defer, endpoints, reactor, task
from twisted.logger import globalLogBeginner

from ftpkit.config import ServerConfig
from ftpkit.embedding import FTPService, logObserver, makeContextFactory
from ftpkit.realms import FilesystemRealm
from ftpkit.server import FTPFactory


def makeFactory(root, users, certificate=None):
    """
    @param root: the directory every user sees as C{/}.
    @param users: a C{dict} of user name to password.
    @param certificate: a PEM file with a certificate and its key, or
        C{None} for no TLS.
    @return: an L{FTPFactory}.
    """
    checker = InMemoryUsernamePasswordDatabaseDontUse()
    for name, password in users.items():
        checker.addUser(name.encode("utf-8"), password.encode("utf-8"))
    portal = Portal(FilesystemRealm(root), [checker])
    config = ServerConfig(
        banner="embedded ftpkit ready",
        tlsContextFactory=(None if certificate is None
                           else makeContextFactory(certificate)),
        shutdownGrace=10.0,
    )
    return FTPFactory(portal, config)


def makeService(root, users, listen="tcp:2121", certificate=None):
    """
    @param listen: a Twisted server endpoint description.
    @return: an L{FTPService} serving C{root}, to start, or to add to an
        application's C{MultiService}; see L{makeFactory} for the rest.
    """
    return FTPService(makeFactory(root, users, certificate), [listen])


USAGE = "usage: embedded_server.py DIRECTORY USER:PASSWORD [ENDPOINT [CERT.pem]]"


def argumentsProblem(arguments):
    """
    @param arguments: the command line's arguments, as L{main} takes them.
    @return: what is wrong with them, or C{None}. A user without a
        password (C{alice} for C{alice:secret}) logged in with an empty
        one; no arguments, an endpoint Twisted cannot read or a
        certificate that cannot be used were a traceback.
    """
    if not 2 <= len(arguments) <= 4:
        return "needs two to four arguments"
    root, user = arguments[:2]
    name, _, password = user.partition(":")
    if not name or not password:
        return f"{user!r} is not USER:PASSWORD (both are needed)"
    if not os.path.isdir(root):
        return f"{root!r} is not a directory"
    if len(arguments) > 2:
        try:
            endpoints.serverFromString(reactor, arguments[2])
        except ValueError as e:
            return f"bad endpoint {arguments[2]!r}: {e}"
    if len(arguments) > 3:
        try:
            makeContextFactory(arguments[3])
        except ValueError as e:
            return str(e)
    return None


def main(reactor, root, user, listen="tcp:2121", certificate=None):
    """
    Log to standard output, in the config's C{logFormat}; serve until the
    reactor stops (Ctrl-C, C{SIGTERM}), then drain.

    @return: a Deferred that never fires: L{task.react} runs until then.
    """
    name, _, password = user.partition(":")
    ftp = makeService(root, {name: password}, listen, certificate)
    globalLogBeginner.beginLoggingTo([
        logObserver(sys.stdout, ftp.factory.config)])
    ftp.startService()
    reactor.addSystemEventTrigger("before", "shutdown", ftp.stopService)
    return defer.Deferred()


if __name__ == "__main__":
    problem = argumentsProblem(sys.argv[1:])
    if problem is not None:
        sys.exit(f"embedded_server.py: {problem}\n{USAGE}")
    task.react(main, sys.argv[1:])
