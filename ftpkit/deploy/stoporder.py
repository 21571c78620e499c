"""
Stopping a service's children one at a time (L{stopInOrder},
L{InOrder}): the C{--metrics} endpoint, added before the drain, answers
(and counts) while the drain finishes, and goes only after it.
"""

from twisted.application import service
from twisted.internet import defer


def stopInOrder(parent):
    """
    Stop the children of C{parent}, the last added first, each once the
    one added after it has stopped.

    @param parent: a L{service.MultiService}, marked stopped already.
    @return: a Deferred firing once they all stopped.
    """
    stopped = defer.succeed(None)
    for child in reversed(list(parent)):
        stopped.addBoth(lambda _, child=child: child.stopService())
    return stopped


class InOrder(service.MultiService):
    """
    A L{service.MultiService} whose children stop in order
    (L{stopInOrder}) instead of all at once.
    """

    def stopService(self):
        """
        Stop the children in order.

        @return: a Deferred firing once they all stopped.
        """
        service.Service.stopService(self)
        return stopInOrder(self)
