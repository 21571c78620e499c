"""
Test support for ftpkit and for people writing shells and realms.

L{IFTPShellConformanceMixin} checks the behaviour any
L{ftpkit.interfaces.IFTPShell} must have::

    from twisted.trial import unittest
    from ftpkit.testing import IFTPShellConformanceMixin

    class MyShellTests(IFTPShellConformanceMixin, unittest.TestCase):
        def makeShell(self):
            return MyShell(...)   # fresh, empty and writable

A shell that cannot be written to (an archive, a snapshot) runs
L{IReadOnlyShellConformanceMixin} instead, whose C{makeShell(files)} is
given the files to serve (L{ftpkit.conformance.readonly}).

L{readFile}, L{writeFile} and L{CollectingConsumer} help writing more.

L{LoopbackServerMixin} starts a real server on 127.0.0.1 for the length
of a test (C{self.startServer(realm)}) and runs blocking clients such as
ftplib off the reactor thread (C{self.inThread(function)}); see
L{ftpkit.loopback}.
"""

from ftpkit.conformance import IFTPShellConformanceMixin
from ftpkit.conformance.helpers import CollectingConsumer, readFile, writeFile
from ftpkit.conformance.readonly import IReadOnlyShellConformanceMixin
from ftpkit.loopback import LoopbackServer, LoopbackServerMixin, makePortal

__all__ = [
    "CollectingConsumer",
    "IFTPShellConformanceMixin",
    "IReadOnlyShellConformanceMixin",
    "LoopbackServer",
    "LoopbackServerMixin",
    "makePortal",
    "readFile",
    "writeFile",
]
