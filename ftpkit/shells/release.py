"""
L{release}: close a file a shell opened for reading once the server is
done with it, whatever its C{close} does.

L{ftpkit.interfaces.IReadFile.close} releases the file; what it returns
is not the server's business: by then the download's reply is decided.
A plugin whose C{close} raises, or returns a failed Deferred, gets one
log line, and the client the reply its transfer earned (it was C{451}
after a complete download, or C{226} and an "Unhandled error in Deferred"
when the garbage collector found the failure).
"""

from twisted.internet.defer import maybeDeferred

from ftpkit.shells.contract import loggedFailure


def release(readFile):
    """
    Close C{readFile}, logging a failure rather than raising it.

    @param readFile: an L{ftpkit.interfaces.IReadFile}.
    @return: a Deferred firing with C{None} once closed (or failed to).
    """
    closing = maybeDeferred(readFile.close)
    closing.addErrback(loggedFailure, readFile, "close")
    return closing
