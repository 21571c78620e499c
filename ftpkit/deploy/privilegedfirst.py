"""
L{PrivilegedFirst}: a C{MultiService} whose C{startService} does the
privileged start first when nothing did.
"""

from twisted.application import service


class PrivilegedFirst(service.MultiService):
    """
    A C{MultiService} started with C{startService} alone (C{python -m
    twisted}'s C{twist}, a program embedding ftpkit) does its children's
    C{privilegedStartService} first, as C{twistd} would have: every
    child's before any child's C{startService}. Left to each child's
    C{startService}, a listener bound, and took its spare descriptor
    (L{ftpkit.deploy.listening.ControlListening}), only after the
    services before it had started (the sweep at start's thread), and
    what was done in C{privilegedStartService} alone was not done.
    """

    _privileged = False

    def privilegedStartService(self):
        """
        Do the children's privileged start.
        """
        self._privileged = True
        service.MultiService.privilegedStartService(self)

    def startService(self):
        """
        Start the children, after their privileged start if nothing did
        it first.
        """
        if not self._privileged:
            self.privilegedStartService()
        service.MultiService.startService(self)
