"""
The private names of Twisted's option parser and server service that
ftpkit's start-up reads:

    - C{usage.Options._dispatch}: the table of long option names to the
      handlers a parse calls, so that an option keeping one value can
      refuse a second (L{optionHandlers}, for
      L{ftpkit.deploy.onceonly}). Fallback: no table, and a repeated
      option is not refused (the last value wins, as Twisted has it).
    - C{StreamServerEndpointService._raiseSynchronously}: set, a listener
      that cannot listen raises from C{privilegedStartService}, as
      C{strports.service} has it, for the caller to report and stop
      (L{raiseListenFailures}, for L{ftpkit.deploy.listening}). Fallback:
      Twisted logs the failure and the server goes on without that
      listener.
"""

from twisted.application.internet import StreamServerEndpointService


def optionHandlers(options):
    """
    @param options: a L{twisted.python.usage.Options}, initialised.
    @return: its table of long option names to handlers, the one its
        parse calls through (a handler put in it is the one called), or
        C{None} when this Twisted keeps it elsewhere.
    """
    handlers = getattr(options, "_dispatch", None)
    return handlers if isinstance(handlers, dict) else None


def raiseListenFailures(service):
    """
    Make a L{StreamServerEndpointService} raise from its
    C{privilegedStartService} when it cannot listen, instead of logging
    the failure.

    @param service: the service, not started yet.
    @return: whether this Twisted allows it (when not, the failure is
        logged and the service runs without listening).
    """
    if not hasattr(StreamServerEndpointService, "_raiseSynchronously"):
        return False
    service._raiseSynchronously = True
    return True
