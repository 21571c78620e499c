"""
ftpkit inside a Twisted program of your own (C{docs/embedding.rst}).

    python embedded_server.py DIRECTORY USER:PASSWORD [ENDPOINT [CERT.pem]]

serves DIRECTORY to USER on ENDPOINT (C{tcp:2121} by default), with
C{AUTH TLS} when given a PEM file holding a certificate and its key.
Ctrl-C or C{SIGTERM} lets running transfers finish before it exits.
"""

import sys

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import defer, task
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
    task.react(main, sys.argv[1:])
