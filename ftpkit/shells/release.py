"""
L{release}: close a file a shell opened for reading once the server is
done with it, whatever its C{close} does.

L{ftpkit.interfaces.IReadFile.close} releases the file; what it returns
is not the server's business: by then the download's reply is decided.
A plugin whose C{close} raises, or returns a failed Deferred, gets one
log line, and the client the reply its transfer earned (it was C{451}
after a complete download, or C{226} and an "Unhandled error in Deferred"
when the garbage collector found the failure).

C{close} is called as C{maybeDeferred} would call it (a coroutine it
returns is run, a L{Failure} it returns is a failure), without the
L{Deferred} C{maybeDeferred} makes and fires for the usual C{None}, nor
its errback: a visible share of every download's work
(C{docs/benchmark-investigations.rst}, "Small transfers, counted again").
"""

from types import CoroutineType

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ftpkit.deferreds import isDeferred
from ftpkit.shells.heldcalls import loggedFailure


def release(readFile):
    """
    Close C{readFile}, logging a failure rather than raising it.

    @param readFile: an L{ftpkit.interfaces.IReadFile}.
    """
    try:
        closing = readFile.close()
    except BaseException:
        loggedFailure(Failure(), readFile, "close")
        return
    if closing is None:
        return
    if type(closing) is CoroutineType:
        closing = Deferred.fromCoroutine(closing)
    if isDeferred(closing):
        closing.addErrback(loggedFailure, readFile, "close")
    elif isinstance(closing, Failure):
        loggedFailure(closing, readFile, "close")
