"""
A plugin's listing in batches (what its C{openListing} gives, an
L{IDirectoryListing}) held to the shapes of its answers, for
L{ftpkit.shells.contract}: its batches of C{(name, FileInfo)} pairs
(L{ftpkit.shells.answers.entriesProblem}), its names
(L{INameListing.nextNames}: L{ftpkit.shells.answers.namesProblem}) and
its formatted batches (L{IStatListing.nextFormattedBatch}: C{bytes} or
C{None}, and C{(name, result)} pairs given to the format). A batch of
another shape ends the listing with one log line saying what is wrong
(a name that was not text was a C{TypeError} in the sorting of a batch;
a formatted batch of text was left out, a C{226} and an unhandled
error in the log); a failure is
told as L{ftpkit.shells.heldcalls.toldFailure} does (the client gets
C{426}: the batches are read once the data connection is open); a name
that names no entry is left out (L{ftpkit.shells.answers.isSegment}),
said once a session.
"""

from twisted.internet.defer import maybeDeferred
from zope.interface import implementer

from ftpkit.errors import LocalError, TransferAborted
from ftpkit.interfaces import IDirectoryListing, INameListing, IStatListing
from ftpkit.shells import answers
from ftpkit.shells.heldcalls import toldFailure

_CUT = TransferAborted()
"""What the client gets for a listing ended once its data flows."""


def checkedListing(listing, shell):
    """
    @param listing: what a plugin's C{openListing} fired with.
    @param shell: the L{ftpkit.shells.contract.ContractShell} that opened
        it, which says in the log what is wrong.
    @return: the listing held to its shapes, providing what it provides
        of L{IStatListing} and L{INameListing}.
    """
    return _HELD[IStatListing.providedBy(listing),
                 INameListing.providedBy(listing)](listing, shell)


@implementer(IDirectoryListing)
class CheckedListing:
    """
    A plugin's L{IDirectoryListing} whose batches are held to their shape
    (a plain value, a plain list, stays taken, as the server took it).
    """

    def __init__(self, listing, shell):
        """
        @param listing: the plugin's listing.
        @param shell: the L{ftpkit.shells.contract.ContractShell} that
            opened it.
        """
        self._listing = listing
        self._shell = shell

    def _held(self, name, check, *args):
        """
        @param name: a method of the listing.
        @param check: called with what it fired with; gives the batch to
            use, or raises.
        @param args: the method's arguments.
        @return: a Deferred of the checked batch, failing as
            L{toldFailure} says.
        """
        batch = maybeDeferred(_call, self._listing, name, *args)
        batch.addCallback(check)
        return batch.addErrback(toldFailure, self._listing, name, _CUT,
                                self._shell.noted)

    def _refuse(self, method, problem):
        """
        Say what is wrong with a batch, and end the listing.

        @param method: the listing's method that gave it (C{"batch"} for
            C{nextBatch}).
        @param problem: what is wrong, as text.
        @raise LocalError: always.
        """
        self._shell._complain("openListing", "gave a listing whose %s gave %s"
                              % (method, problem), _CUT)
        raise LocalError()

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        return self._held("nextBatch", self._checkedBatch)

    def _checkedBatch(self, batch):
        entries, problem = answers.entriesProblem(batch)
        if problem is not None:
            self._refuse("batch", problem)
        kept = self._shell._segments(entries, "openListing")
        # An empty batch ends the listing: one left empty does not.
        return kept if kept or not entries else self.nextBatch()

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        return self._listing.close()


@implementer(INameListing)
class CheckedNameListing(CheckedListing):
    """
    A L{CheckedListing} of a listing that names its entries, its names
    held to being text.
    """

    def nextNames(self):
        """
        See L{INameListing.nextNames}.
        """
        return self._held("nextNames", self._checkedNames)

    def _checkedNames(self, names):
        names, problem = answers.namesProblem(names)
        if problem is not None:
            self._refuse("nextNames", problem)
        kept = self._shell._segments(names, "openListing", names=True)
        return kept if kept or not names else self.nextNames()


@implementer(IStatListing)
class CheckedStatListing(CheckedListing):
    """
    A L{CheckedListing} of a listing that formats its own batches, each
    held to being C{bytes} or C{None}, the pairs it gives the format to
    their shape (L{CheckedFormat}).
    """

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch}.
        """
        held = CheckedFormat(format)
        return self._held("nextFormattedBatch",
                          lambda data: self._checkedFormatted(data, held),
                          held)

    def _checkedFormatted(self, data, held):
        self._shell._leftOut("openListing", held.dropped)
        data, problem = answers.formattedProblem(data)
        if problem is not None:
            self._refuse("nextFormattedBatch", problem)
        return data


class CheckedNameStatListing(CheckedStatListing, CheckedNameListing):
    """
    A L{CheckedListing} of a listing that formats its own batches and
    names its entries.
    """


_HELD = {
    (False, False): CheckedListing,
    (True, False): CheckedStatListing,
    (False, True): CheckedNameListing,
    (True, True): CheckedNameStatListing,
}
"""The L{CheckedListing} of a listing, by whether it provides
L{IStatListing} and L{INameListing}."""


class CheckedFormat:
    """
    A listing format (L{ftpkit.protocol.listing.ListFormat} and its kind)
    given to a plugin's L{IStatListing}: the C{(name, result)} pairs it
    is given are held to their shape, those whose name names no entry
    left out (and kept in L{dropped}, said in the log by the listing,
    in the reactor's thread). Never cached (it has no C{cacheKey}).

    @ivar dropped: the names left out.
    """

    def __init__(self, format):
        """
        @param format: the server's format.
        """
        self._format = format
        self.dropped = []

    def __getattr__(self, name):
        """
        @param name: an attribute not held here.
        @return: the format's.
        """
        return getattr(self._format, name)

    @property
    def __class__(self):
        """
        @return: the format's class: a listing that asks what the format
            is (C{isinstance(format, NamesFormat)}) is answered as it was
            before the format was held.
        """
        return type(self._format)

    def stats(self, batch, owner, group):
        """
        See L{ftpkit.protocol.listing.ListFormat.stats}.

        @raise TypeError: for a batch that is not C{(name, result)} pairs
            with text names.
        """
        batch = list(batch)
        for index, pair in enumerate(batch):
            if not (isinstance(pair, tuple) and len(pair) == 2
                    and isinstance(pair[0], str)):
                raise TypeError("format.stats was given %s as entry %d, not "
                                "a (name, os.stat result)" % (
                                    answers.shortRepr(pair), index))
        kept, dropped = answers.withoutBadNames(batch, _nameOf)
        self.dropped.extend(dropped)
        return self._format.stats(kept, owner, group)


def _call(owner, name, *args):
    """
    @return: C{owner}'s method C{name} called with C{args}.
    """
    return getattr(owner, name)(*args)


def _nameOf(pair):
    """
    @param pair: a C{(name, anything)} pair.
    @return: its name.
    """
    return pair[0]
