"""
L{isDeferred}: C{isinstance(value, Deferred)} for the checks made on
every login and transfer.

Twisted's L{Deferred} is an C{Awaitable}, so its class is an
C{abc.ABCMeta}: C{isinstance} of anything else goes through
C{ABCMeta.__instancecheck__} (a Python frame, the class's caches), where
most of those checks are of a reply tuple, C{None} or a connection.
"""

from twisted.internet.defer import Deferred


def isDeferred(value):
    """
    @param value: anything.
    @return: whether C{value} is a L{Deferred} (or of a subclass), as
        C{isinstance} tells but for classes registered with
        C{Deferred.register}, which nothing does.
    """
    return Deferred in type(value).__mro__
