"""
L{RunningUploads}: the targets that uploads of
L{ftpkit.shells.keptuploads.KeptUploadsShell} will replace once complete
(a new upload under its hidden name, a resume of a partial upload), in
this process, so that an upload into such a target in place meanwhile
gets C{450} (L{ftpkit.errors.FileBusy}).

Without it, a client that lost its connection in a network partition and
reconnected before the server noticed (lftp after C{net:timeout}) got
C{SIZE} = the old file's size while its first upload still ran (it keeps
nothing until cut), resumed from there into the old file in place, and
was told C{226}: the old file's start and the new file's rest, which the
first upload, cut later, did not replace (its target had changed).

It also counts the files uploads write in place (L{RunningUploads.hold}
with C{inPlace}), whose rename, replacement by a rename and removal get
C{450} meanwhile
(L{ftpkit.shells.keptuploads.KeptUploadsShell.rename},
L{ftpkit.shells.keptuploads.KeptUploadsShell.removeFile}).
"""

from collections import Counter


class RunningUploads:
    """
    The targets of running uploads, each counted as often as uploads of
    it run; shared by the shells over one tree (every session of a
    realm's), a target named by its path from that tree's root.
    """

    def __init__(self):
        self._counts = Counter()
        self._inPlace = Counter()
        self._hidden = {}

    def hold(self, target, inPlace=False, hidden=None):
        """
        Count an upload of C{target} as running.

        @param target: its path from the tree's root, a tuple.
        @param inPlace: the upload writes C{target} in place (it will not
            replace it: L{writtenInPlace} tells, not C{in}).
        @param hidden: the path from the tree's root of the hidden file
            the upload writes, renamed over C{target} once complete
            (L{targetOf} tells it meanwhile), or C{None}.
        @return: a callable that counts it as ended (once, however often
            it is called).
        """
        counts = self._inPlace if inPlace else self._counts
        counts[target] += 1
        if hidden is not None:
            self._hidden[hidden] = target
        held = [True]

        def release():
            if held:
                held.pop()
                counts[target] -= 1
                if not counts[target]:
                    del counts[target]
                self._hidden.pop(hidden, None)
        return release

    def targetOf(self, hidden):
        """
        @param hidden: a path from the tree's root, a tuple.
        @return: the target a running upload of that hidden file will
            replace, or C{None}.
        """
        return self._hidden.get(hidden)

    def writtenInPlace(self, target):
        """
        @param target: a path from the tree's root, a tuple.
        @return: whether an upload writes it in place.
        """
        return target in self._inPlace

    def __contains__(self, target):
        """
        @param target: a path from the tree's root, a tuple.
        @return: whether an upload that will replace it runs.
        """
        return target in self._counts
