"""
Shells that wrap another shell.

L{ShellWrapper} is their base: it forwards every L{IFTPShell} method, and
provides and forwards every optional extra of
L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES} exactly when the wrapped
shell provides it. A wrapper overrides only what it restricts, so a
capability it does not restrict is never lost on the way.

L{ReadOnlyShell} (for C{--read-only} and anonymous users),
L{UploadOnlyShell} (anonymous users with C{--anonymous-write}) and
L{HideDotfilesShell} (C{--hide-dotfiles}) are built on it, as is
L{ftpkit.shells.permissions.PermissionShell}.
"""

from twisted.internet.defer import fail, succeed
from zope.interface import alsoProvides, implementer
from zope.interface.interface import Method

from ftpkit.errors import (
    AlreadyExists,
    InvalidPath,
    NoSuchFile,
    PermissionDenied,
)
from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IFTPShellCreate,
    IFTPShellPermitted,
    IFTPShellResolve,
)
from ftpkit.protocol.permletters import CREATE_ONLY, LOOK
from ftpkit.shells.listings import FilteredListing
from ftpkit.shells.permitted import narrowed, narrowedIn


@implementer(IFTPShell)
class ShellWrapper:
    """
    A shell that hands every call on to another shell, unchanged.

    Subclasses override the methods they restrict. The methods of the
    optional interfaces are made for it from
    L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES} and are only provided,
    in the C{zope.interface} sense, when the wrapped shell provides them.
    """

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} to wrap.
        """
        self._shell = shell
        for extra in OPTIONAL_SHELL_INTERFACES:
            if extra.providedBy(shell) and _keepsRestriction(type(self), extra):
                alsoProvides(self, extra)

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._shell.stat(path)

    def list(self, path):
        """
        See L{IFTPShell.list}.
        """
        return self._shell.list(path)

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.
        """
        return self._shell.openForReading(path, offset)

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        return self._shell.makeDirectory(path)

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        return self._shell.removeDirectory(path)

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        return self._shell.removeFile(path)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}.
        """
        return self._shell.rename(fromPath, toPath)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.
        """
        return self._shell.openForWriting(path, offset, append)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        return self._shell.setModificationTime(path, when)

    def forResumer(self, resumer):
        """
        See L{ftpkit.interfaces.IFTPShellResumeOwners.forResumer}
        (provided when the wrapped shell provides it): this wrapper again,
        around the wrapped shell's one for C{resumer}, so that what the
        wrapper restricts stays restricted.
        """
        shell = object.__new__(type(self))
        shell.__dict__.update(self.__dict__)
        shell._shell = self._shell.forResumer(resumer)
        return shell


def _keepsRestriction(cls, extra):
    """
    @param cls: a L{ShellWrapper} class.
    @param extra: an optional shell interface.
    @return: whether C{cls} may provide C{extra}: unless C{extra} is a
        variant of an L{IFTPShell} method (its tagged value
        C{"variantOf"}) that C{cls} overrides without overriding every
        method of C{extra} too, which would bypass what the override
        restricts.
    """
    variantOf = extra.queryTaggedValue("variantOf")
    if variantOf is None or getattr(cls, variantOf) is getattr(ShellWrapper, variantOf):
        return True
    return all(getattr(cls, name) is not getattr(ShellWrapper, name)
               for name in extra.names())


def _forwarder(interface, name):
    """
    @param interface: an optional shell interface.
    @param name: one of its methods.
    @return: a L{ShellWrapper} method handing that call on to the wrapped
        shell.
    """
    def forward(self, *args, **kwargs):
        return getattr(self._shell, name)(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = (f"See L{{{interface.__module__}.{interface.__name__}."
                       f"{name}}} (provided when the wrapped shell provides"
                       " it).")
    return forward


def _addForwarders(cls):
    """
    Give C{cls} a forwarding method for every method of every optional
    shell interface it does not define itself: a new optional interface
    needs no change here, only its entry in
    L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES}.
    """
    for interface in OPTIONAL_SHELL_INTERFACES:
        for name in interface.names():
            if isinstance(interface[name], Method) and not hasattr(cls, name):
                setattr(cls, name, _forwarder(interface, name))
    return cls


_addForwarders(ShellWrapper)


def storageOf(shell):
    """
    @param shell: an L{IFTPShell}, wrapped or not.
    @return: the shell beneath every L{ShellWrapper} around it: the
        storage itself, for what the server does on its own behalf rather
        than the user's.
    """
    while isinstance(shell, ShellWrapper):
        shell = shell._shell
    return shell


@implementer(IFTPShellPermitted)
class ReadOnlyShell(ShellWrapper):
    """
    A shell that can look and download, and changes nothing: every other
    method fails with L{PermissionDenied}; the C{perm} fact shows only
    looking (L{IFTPShellPermitted}).
    """

    _mask = LOOK
    """The letters of the C{perm} fact it allows."""

    def permitted(self, path):
        """
        See L{IFTPShellPermitted.permitted}: what the wrapped shell
        allows of what this one does.
        """
        return narrowed(self._shell, path, self._mask)

    def permittedIn(self, path):
        """
        See L{IFTPShellPermitted.permittedIn}: what the wrapped shell
        allows of what this one does.
        """
        return narrowedIn(self._shell, path, self._mask)

    def resumableSize(self, path):
        """
        Nothing to resume for who cannot upload: see
        L{ftpkit.interfaces.IFTPShellResume.resumableSize}.
        """
        return succeed(None)

    def available(self, path):
        """
        No room for who cannot upload: C{0} (where the path is a
        directory): see
        L{ftpkit.interfaces.IFTPShellAvailable.available}.
        """
        return self._shell.available(path).addCallback(lambda _: 0)

    def makeDirectory(self, path):
        """
        Refuse: see L{IFTPShell.makeDirectory}.
        """
        return fail(PermissionDenied())

    def removeDirectory(self, path):
        """
        Refuse: see L{IFTPShell.removeDirectory}.
        """
        return fail(PermissionDenied())

    def removeFile(self, path):
        """
        Refuse: see L{IFTPShell.removeFile}.
        """
        return fail(PermissionDenied())

    def rename(self, fromPath, toPath):
        """
        Refuse: see L{IFTPShell.rename}.
        """
        return fail(PermissionDenied())

    def openForWriting(self, path, offset=0, append=False):
        """
        Refuse: see L{IFTPShell.openForWriting}.
        """
        return fail(PermissionDenied())

    def openForCreating(self, path):
        """
        Refuse: see L{IFTPShellCreate.openForCreating}.
        """
        return fail(PermissionDenied())

    def setModificationTime(self, path, when):
        """
        Refuse: see L{IFTPShell.setModificationTime}.
        """
        return fail(PermissionDenied())

    def setPermissions(self, path, mode):
        """
        Refuse: see L{ftpkit.interfaces.IFTPShellChmod.setPermissions}.
        """
        return fail(PermissionDenied())


class UploadOnlyShell(ReadOnlyShell):
    """
    A read-only shell that may also make directories and upload files that
    do not exist yet (never overwrite, resume or append).

    Over a shell that provides L{IFTPShellCreate}, an upload never
    replaces a file, even one that another upload of the same name
    completed while it ran (its close fails with L{AlreadyExists}). Over
    one that does not, two uploads of the same new name racing each other
    both pass the check, and the one that closes last wins.
    """

    _mask = CREATE_ONLY

    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available}: the wrapped
        shell's answer, new files being allowed.
        """
        return self._shell.available(path)

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        return self._shell.makeDirectory(path)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: only a new file, from byte 0.
        """
        if offset or append:
            return fail(PermissionDenied())
        checking = self._shell.stat(path)

        def exists(info):
            raise PermissionDenied("Overwrite not allowed")

        def missing(failure):
            failure.trap(NoSuchFile)
            if IFTPShellCreate.providedBy(self._shell):
                return self._shell.openForCreating(path).addErrback(
                    _overwriteRefused)
            return self._shell.openForWriting(path)

        checking.addCallbacks(exists, missing)
        return checking

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating} (provided only when the
        wrapped shell provides it).
        """
        return self.openForWriting(path)


def _overwriteRefused(failure):
    """
    An upload that may only create found its name taken: refused as an
    overwrite is.
    """
    failure.trap(AlreadyExists)
    raise PermissionDenied("Overwrite not allowed")


def isHidden(path):
    """
    @param path: a tuple of segments.
    @return: whether a segment of C{path} starts with C{.}.
    """
    return any(segment.startswith(".") for segment in path)


def _visible(name):
    """
    @param name: an entry's name.
    @return: whether L{HideDotfilesShell} lists it, by its name alone.
    """
    return not name.startswith(".")


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

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} to wrap.
        """
        ShellWrapper.__init__(self, shell)
        self._resolves = IFTPShellResolve.providedBy(shell)

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
            if not hidden:
                return _visible
            return lambda name: _visible(name) and name not in hidden

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
        return self._looked(path, lambda: ShellWrapper.stat(self, path))

    def list(self, path):
        """
        See L{IFTPShell.list}: without the hidden names.
        """
        return self._listed(path, lambda visible: ShellWrapper.list(
            self, path).addCallback(
                lambda entries: [entry for entry in entries
                                 if visible(entry[0])]))

    def listNames(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellNames.listNames}: without the
        hidden names.
        """
        return self._listed(path, lambda visible: ShellWrapper.listNames(
            self, path).addCallback(
                lambda names: [name for name in names if visible(name)]))

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: without the
        hidden names.
        """
        return self._listed(path, lambda visible: ShellWrapper.listSome(
            self, path, [name for name in names if visible(name)]))

    def openListing(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellStreamedListing.openListing}:
        without the hidden names.
        """
        return self._listed(path, lambda visible: ShellWrapper.openListing(
            self, path).addCallback(
                lambda listing: FilteredListing(listing, visible, pure=True)))

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.
        """
        return self._looked(path, lambda: ShellWrapper.openForReading(
            self, path, offset))

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{ftpkit.interfaces.IFTPShellHash.hash}.
        """
        return self._looked(path, lambda: ShellWrapper.hash(
            self, path, algorithm, start, end))

    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available}.
        """
        return self._looked(path, lambda: ShellWrapper.available(self, path))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        return self._looked(path, lambda: ShellWrapper.removeDirectory(
            self, path))

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        return self._looked(path, lambda: ShellWrapper.removeFile(self, path))

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        return self._looked(path, lambda: ShellWrapper.setModificationTime(
            self, path, when))

    def setPermissions(self, path, mode):
        """
        See L{ftpkit.interfaces.IFTPShellChmod.setPermissions}.
        """
        return self._looked(path, lambda: ShellWrapper.setPermissions(
            self, path, mode))

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        return self._made(path, lambda: ShellWrapper.makeDirectory(self, path))

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.
        """
        return self._made(path, lambda: ShellWrapper.openForWriting(
            self, path, offset, append))

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating} (provided only when the
        wrapped shell provides it).
        """
        return self._made(path, lambda: self._shell.openForCreating(path))

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}.
        """
        return (self._missing(fromPath, toPath[:-1]) or self._refused(toPath)
                or self._unlessLeadsToHidden(
                    lambda: ShellWrapper.rename(self, fromPath, toPath),
                    missing=[fromPath, toPath[:-1]], refused=[toPath]))
