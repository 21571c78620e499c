"""
What a transfer command opens or looks up before its data connection (a
file, a directory listing, the size a C{REST} resumes from, a name
C{STOU} may take), which C{ABOR} may end: L{Opening}. A slow open (a
realm on a slow store) must not hold an C{ABOR} back until it is done
and the whole transfer after it; the command ends at once (C{426}) and
what the open gives later is released (a file closed, an upload's file
aborted, a listing closed). An upload's commit (its file's C{close},
which stores it) is waited for the same way, but C{ABOR} gives it
L{COMMIT_GRACE} seconds first (L{Committing}).
"""

from twisted.internet import defer
from twisted.logger import Logger

from ftpkit.errors import TransferAborted
from ftpkit.shells.heldcalls import describeFailure

_log = Logger()

COMMIT_GRACE = 1.5
"""Seconds an C{ABOR} arriving while an upload is committed waits for the
commit to end before the upload replies C{426} (L{Committing};
C{docs/protocol.rst} says why this long)."""


class Opening:
    """
    One open a transfer command waits for.

    @ivar result: a Deferred firing with what the open gives, or failing
        with what it raises, or with L{TransferAborted} once L{abort} was
        called before it gave anything.
    @ivar settled: a Deferred firing (with C{None}) once the shell has
        answered the open and, after L{abort}, what it gave is released:
        from then on the open no longer needs the shell.
    """

    beforeData = True
    """Whether the command waits before asking for its data connection
    (an open, a look-up), so that an C{ABOR} cutting the wait ends a
    command whose transfer never began."""

    def __init__(self, operation, release):
        """
        @param operation: a Deferred or coroutine: the open.
        @param release: called with what the open gives when it comes
            after L{abort} (it may return a Deferred).
        """
        self._release = release
        self.result = defer.Deferred()
        self.settled = defer.Deferred()
        defer.ensureDeferred(operation).addCallbacks(self._opened,
                                                     self._failed)

    def _opened(self, value):
        # Not needed past this call: let go of it, as it may refer back
        # to this wait (an upload's does), which the cyclic garbage
        # collector alone would then free.
        release, self._release = self._release, None
        if not self.result.called:
            self.settled.callback(None)
            self.result.callback(value)
            return
        released = defer.maybeDeferred(release, value)
        released.addErrback(lambda failure: _log.error(
            "releasing {opened!r}, which an aborted open gave, failed with"
            " {why}", opened=value, why=describeFailure(failure)))
        released.addCallback(lambda _: self.settled.callback(None))

    def _failed(self, failure):
        self._release = None
        self.settled.callback(None)
        if not self.result.called:
            self.result.errback(failure)

    def abort(self):
        """
        End the wait now: L{result} fails with L{TransferAborted}.
        """
        if not self.result.called:
            self.result.errback(TransferAborted("Transfer aborted"))

    def abortOnArrival(self):
        """
        C{ABOR} arrived: end the wait (L{abort}).
        """
        self.abort()

    def clientLeft(self):
        """
        The client closed the control connection: end the wait
        (L{abort}); what the open gives later is released.
        """
        self.abort()


class Committing(Opening):
    """
    An upload's commit (its file's C{close}) a transfer command waits for
    once every byte was received. RFC 959 answers an C{ABOR} that comes
    after the transfer completed with C{226}: C{ABOR} waits up to
    L{COMMIT_GRACE} seconds for the commit, so that a file the storage
    stores meanwhile is answered C{226}, not C{426} with the file in place;
    only a commit still under way then (a plugin whose C{close} hangs)
    is cut, so that it cannot hold the session.
    """

    _timer = None
    beforeData = False

    cutByAbor = False
    """Whether an C{ABOR}'s grace ended the wait (L{abortOnArrival}), not
    the session going away (L{abort}: a drain's grace over, the client
    gone)."""

    def __init__(self, operation, release, reactor, grace=COMMIT_GRACE):
        """
        @param operation: a Deferred: the file's C{close}.
        @param release: see L{Opening.__init__}.
        @param reactor: an L{IReactorTime} timing the grace.
        @param grace: the seconds C{ABOR} waits.
        """
        self._reactor = reactor
        self._grace = grace
        Opening.__init__(self, operation, release)
        self.settled.addCallback(self._stopTimer)

    def _stopTimer(self, result):
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        return result

    def abortOnArrival(self):
        """
        C{ABOR} arrived: end the wait (L{abort}) if the commit is not over
        within the grace.
        """
        if self._timer is None and not self.result.called:
            self._timer = self._reactor.callLater(self._grace,
                                                  self._aborGraceOver)

    def clientLeft(self):
        """
        The client closed the control connection once every byte of the
        upload came, its data connection ended in order (in stream mode
        that end is the file's): the wait goes on, and the upload ends as
        the commit does, C{226} once the file is stored, as where the
        storage stores it at once (the disk, the memory realm): it was
        logged and counted as a failure, C{426}, with the file in place
        (the fsspec realms, the SQLite example), then stored late
        (L{storedLate}). Nobody reads the reply; a commit that never ends
        holds the session's logout, as it held it cut.
        """

    def _aborGraceOver(self):
        """
        The C{ABOR}'s grace is over: end the wait, cut by it.
        """
        if not self.result.called:
            self.cutByAbor = True
        self.abort()


def closeOpened(opened):
    """
    Release what an open gave: close it (a file being read, an
    L{IDirectoryListing}).

    @param opened: the object, or a L{ftpkit.control.handlers.listed.Listed}
        whose C{entries} may be a listing.
    @return: C{None}.
    """
    close = getattr(getattr(opened, "entries", opened), "close", None)
    if close is not None:
        close()


def storedLate(description, cutByAbor=lambda: True):
    """
    What to release when an upload's storage stores it (its file's
    C{close} fires) after C{ABOR}, or the session going away (a drain's
    grace over), ended the wait for it with C{426}
    (L{ftpkit.control.handlers.transferring.Transferring.receiveFile}):
    a storage that never does (a plugin's C{close} that never fires)
    held the upload's reply, the C{ABOR} and every command after it until
    the idle timeout closed the session.

    @param description: the transfer, as the logs show it.
    @param cutByAbor: tells, once it is stored, whether an C{ABOR} ended
        the wait (L{Committing.cutByAbor}); else the session was going
        away, and the line says so rather than that an C{ABOR} was
        answered (before session 32 it said so of a drain's cut too).
    @return: a callable taking what C{close} fired with, saying in the
        log that the file is in place although the client was told
        C{426}.
    """
    def stored(result):
        if cutByAbor():
            _log.warn("{transfer!r} was stored after its ABOR was "
                      "answered (426): the file is in place",
                      transfer=description)
        else:
            _log.warn("{transfer!r} was stored after a shutdown's grace "
                      "over answered it 426: the file is in place",
                      transfer=description)
    return stored
