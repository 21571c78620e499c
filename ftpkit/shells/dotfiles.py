"""
L{HideDotfilesShell} (C{--hide-dotfiles}): a shell wrapper in which names
starting with C{.} do not exist, even where a symbolic link leads to one.
"""

from twisted.internet.defer import fail, succeed

from ftpkit.errors import InvalidPath, NoSuchFile
from ftpkit.interfaces import IFTPShellResolve
from ftpkit.shells.guardedpaths import Guarded
from ftpkit.shells.listings import FilteredListing
from ftpkit.shells.shellwrapper import ShellWrapper


def isHidden(path):
    """
    @param path: a tuple of segments.
    @return: whether a segment of C{path} starts with C{.}.
    """
    return any(segment.startswith(".") for segment in path)


class _Visible:
    """
    The test of the names L{HideDotfilesShell} lists in a directory: by
    the name, and not one of the links leading to a hidden name; a pure
    function of the name, its L{cacheKey} saying which (for
    L{ftpkit.shells.listings.FilteredListing}).
    """

    def __init__(self, hidden=frozenset()):
        """
        @param hidden: the names of the links that lead to a hidden name.
        """
        self._hidden = hidden

    def cacheKey(self):
        """
        @return: what this test depends on: the links it hides.
        """
        return ("dotfiles", self._hidden)

    def __call__(self, name):
        """
        @param name: an entry's name.
        @return: whether L{HideDotfilesShell} lists it.
        """
        return not name.startswith(".") and name not in self._hidden


_visible = _Visible()
"""The test of the names listed where no link leads to a hidden name."""


def _shown(real):
    """
    @param real: the segments of where a path really is.
    @return: whether no name on it is hidden.
    """
    return not isHidden(real)


def _leadsToHidden(resolved):
    """
    @param resolved: what L{IFTPShellResolve.resolve} gave for a path.
    @return: whether that path is hidden by where it leads.
    """
    return resolved is not None and isHidden(resolved)


class HideDotfilesShell(ShellWrapper):
    """
    A shell in which names starting with C{.} do not exist: they are not
    listed, and looking at, downloading, changing or removing one fails
    with L{NoSuchFile}; creating one (an upload, a directory, a rename's
    target) fails with L{InvalidPath} (C{553}).

    Where the wrapped shell has symbolic links (it provides
    L{IFTPShellResolve}), a path that leads to such a name is hidden as
    that name is (C{visible -> .secret}, C{dir -> .hidden/}): such a link
    is not listed, and a command naming it, or a path through it, is
    answered as for the hidden name, so that a link cannot show what the
    option hides.
    """

    copiedForResumer = True
    """Its state is shared by reference or per session (L{forResumer})."""

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} to wrap.
        """
        ShellWrapper.__init__(self, shell)
        self._resolves = IFTPShellResolve.providedBy(shell)

    def _guarded(self, path):
        """
        @return: C{path} as the wrapped shell is asked to act on it: where
            it has links, a L{Guarded} path its own walk checks again
            where it reaches (L{_unlessLeadsToHidden} asks where the path
            leads apart, and a link swapped in between led the act to a
            hidden name).
        """
        if not self._resolves:
            return path
        return Guarded(path, _shown)

    def _missing(self, *pathList):
        """
        @return: a failed Deferred if a path is hidden, else C{None}.
        """
        if any(isHidden(path) for path in pathList):
            return fail(NoSuchFile())
        return None

    def _refused(self, path):
        """
        @return: a failed Deferred if C{path} is hidden, else C{None}.
        """
        if isHidden(path):
            return fail(InvalidPath("Names starting with '.' are not allowed"))
        return None

    def _anyLeadsToHidden(self, pathList):
        """
        @param pathList: a list of paths.
        @return: a Deferred firing with whether one of them leads to a
            hidden name (resolved one after another by the wrapped shell).
        """
        if not pathList:
            return succeed(False)
        return self._shell.resolve(pathList[0]).addCallback(
            lambda resolved: _leadsToHidden(resolved)
            or self._anyLeadsToHidden(pathList[1:]))

    def _unlessLeadsToHidden(self, then, missing=(), refused=()):
        """
        Call C{then} unless a path leads to a hidden name.

        @param then: called with no argument; returns a Deferred.
        @param missing: paths that fail with L{NoSuchFile} when they lead
            to a hidden name.
        @param refused: paths that fail with L{InvalidPath} when they do.
        @return: a Deferred with what C{then} gives.
        """
        if not self._resolves:
            return then()

        def checkMissing(hidden):
            if hidden:
                raise NoSuchFile()
            return self._anyLeadsToHidden(list(refused))

        def checkRefused(hidden):
            if hidden:
                raise InvalidPath("Names starting with '.' are not allowed")
            return then()

        checking = self._anyLeadsToHidden(list(missing))
        return checking.addCallback(checkMissing).addCallback(checkRefused)

    def _visibleIn(self, path):
        """
        @param path: a directory.
        @return: a Deferred firing with the test of the names listed there
            (true to list): by the name, and, where the wrapped shell has
            links, by where a link leads.
        """
        if not self._resolves:
            return succeed(_visible)

        def test(targets):
            hidden = frozenset(name for name, resolved in targets.items()
                               if _leadsToHidden(resolved))
            return _Visible(hidden) if hidden else _visible

        return self._shell.linkTargets(path).addCallback(test)

    def _listed(self, path, listing):
        """
        @param path: a directory.
        @param listing: called with the test of L{_visibleIn}; returns a
            Deferred with the listing it keeps to.
        @return: a Deferred with that listing, or failing with
            L{NoSuchFile} where C{path} is hidden.
        """
        return self._missing(path) or self._unlessLeadsToHidden(
            lambda: self._visibleIn(path).addCallback(listing),
            missing=[path])

    def _looked(self, path, then):
        """
        @return: C{then()}, or a Deferred failing with L{NoSuchFile} where
            C{path} is hidden.
        """
        return self._missing(path) or self._unlessLeadsToHidden(
            then, missing=[path])

    def _made(self, path, then):
        """
        @return: C{then()}, or a Deferred failing with L{NoSuchFile} where
            C{path}'s directory is hidden, with L{InvalidPath} where
            C{path} is.
        """
        return (self._missing(path[:-1]) or self._refused(path)
                or self._unlessLeadsToHidden(then, missing=[path[:-1]],
                                             refused=[path]))

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.stat(self, path))

    def list(self, path):
        """
        See L{IFTPShell.list}: without the hidden names.
        """
        path = self._guarded(path)
        return self._listed(path, lambda visible: ShellWrapper.list(
            self, path).addCallback(
                lambda entries: [entry for entry in entries
                                 if visible(entry[0])]))

    def listNames(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellNames.listNames}: without the
        hidden names.
        """
        path = self._guarded(path)
        return self._listed(path, lambda visible: ShellWrapper.listNames(
            self, path).addCallback(
                lambda names: [name for name in names if visible(name)]))

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: without the
        hidden names.
        """
        path = self._guarded(path)
        return self._listed(path, lambda visible: ShellWrapper.listSome(
            self, path, [name for name in names if visible(name)]))

    def openListing(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellStreamedListing.openListing}:
        without the hidden names.
        """
        path = self._guarded(path)
        return self._listed(path, lambda visible: ShellWrapper.openListing(
            self, path).addCallback(
                lambda listing: FilteredListing(listing, visible, pure=True)))

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.openForReading(
            self, path, offset))

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{ftpkit.interfaces.IFTPShellHash.hash}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.hash(
            self, path, algorithm, start, end))

    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.available(self, path))

    def writtenInPlace(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellUploadsInPlace.writtenInPlace}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.writtenInPlace(
            self, path))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.removeDirectory(
            self, path))

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.removeFile(self, path))

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.setModificationTime(
            self, path, when))

    def setTimes(self, path, accessed, modified):
        """
        See L{ftpkit.interfaces.IFTPShellTimes.setTimes}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: self._shell.setTimes(
            path, accessed, modified))

    def setPermissions(self, path, mode):
        """
        See L{ftpkit.interfaces.IFTPShellChmod.setPermissions}.
        """
        path = self._guarded(path)
        return self._looked(path, lambda: ShellWrapper.setPermissions(
            self, path, mode))

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        path = self._guarded(path)
        return self._made(path, lambda: ShellWrapper.makeDirectory(self, path))

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.
        """
        path = self._guarded(path)
        return self._made(path, lambda: ShellWrapper.openForWriting(
            self, path, offset, append))

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating} (provided only when the
        wrapped shell provides it).
        """
        path = self._guarded(path)
        return self._made(path, lambda: self._shell.openForCreating(path))

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}.
        """
        fromPath = self._guarded(fromPath)
        toPath = self._guarded(toPath)
        return (self._missing(fromPath, toPath[:-1]) or self._refused(toPath)
                or self._unlessLeadsToHidden(
                    lambda: ShellWrapper.rename(self, fromPath, toPath),
                    missing=[fromPath, toPath[:-1]], refused=[toPath]))
