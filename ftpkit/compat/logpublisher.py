"""
Who observes a C{twisted.logger} publisher: ftpkit's own event lines go
straight to the text log when that log is the only observer
(L{ftpkit.ops.directlines}), and through the publisher to everyone
otherwise.

C{LogPublisher} says nothing public of its observers, so this reads:

    - C{LogPublisher._observers}: the list C{addObserver} appends to and
      C{removeObserver} removes from, read at each call (never kept), so
      that an observer added a moment ago is seen.

Fallback: a publisher without that list (or a subclass of
C{LogPublisher}, whose C{__call__} may do more than hand each event on)
has no sole observer: every line goes through the publisher, as Twisted
has it.
"""

from twisted.logger import LogPublisher


def soleObserver(publisher):
    """
    @param publisher: a log observer: a C{twisted.logger.LogPublisher}
        (C{Logger.observer}, the global publisher by default), or any
        other.
    @return: the one observer C{publisher} hands each event to, when it
        is exactly a C{LogPublisher} with exactly one observer; C{None}
        otherwise.
    """
    if type(publisher) is not LogPublisher:
        return None
    observers = getattr(publisher, "_observers", None)
    if type(observers) is list and len(observers) == 1:
        return observers[0]
    return None
