"""
Tests for L{ftpkit.deploy.privilegedfirst}.
"""

from twisted.application import service
from twisted.trial import unittest

from ftpkit.deploy.privilegedfirst import PrivilegedFirst


class _Recorded(service.Service):
    """
    A service noting its starts in a shared list.
    """

    def __init__(self, name, seen):
        self.name = name
        self.seen = seen

    def privilegedStartService(self):
        self.seen.append(("privileged", self.name))
        service.Service.privilegedStartService(self)

    def startService(self):
        self.seen.append(("start", self.name))
        service.Service.startService(self)


class PrivilegedFirstTests(unittest.SynchronousTestCase):
    """
    L{PrivilegedFirst} started with C{startService} alone.
    """

    def parent(self):
        """
        @return: a L{PrivilegedFirst} of two children, and the list
            their starts are noted in.
        """
        seen = []
        parent = PrivilegedFirst()
        for name in ("sweep", "listener"):
            _Recorded(name, seen).setServiceParent(parent)
        return parent, seen

    def test_startAlone(self):
        """
        Every child's privileged start comes before any child's start.
        """
        parent, seen = self.parent()
        parent.startService()
        self.assertEqual(seen, [("privileged", "sweep"),
                                ("privileged", "listener"),
                                ("start", "sweep"), ("start", "listener")])

    def test_privilegedOnce(self):
        """
        After C{privilegedStartService} (C{twistd}), C{startService}
        starts the children without a second privileged start.
        """
        parent, seen = self.parent()
        parent.privilegedStartService()
        parent.startService()
        self.assertEqual([kind for kind, _ in seen],
                         ["privileged", "privileged", "start", "start"])
