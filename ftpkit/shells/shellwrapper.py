"""
L{ShellWrapper}: the base of shells that wrap another shell.

It forwards every L{IFTPShell} method, and provides and forwards every
optional extra of L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES} exactly
when the wrapped shell provides it, and the user's rates of
L{ftpkit.interfaces.IFTPShellRates} (a wrapper's own win). A wrapper
overrides only what it restricts, so a capability it does not restrict
is never lost on the way (the wrappers of L{ftpkit.shells.wrappers},
L{ftpkit.shells.dotfiles} and L{ftpkit.shells.permissions} are built on
it). L{storageOf} finds the
shell beneath them all.
"""

from zope.interface import alsoProvides, implementer
from zope.interface.interface import Method

from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IFTPShellRates,
    IFTPShellResumeOwners,
)
from ftpkit.protocol.access import (
    FIRST_OFFERED,
    OFFERED_PERMISSIONS,
    allowedBy,
    grantedBy,
)


@implementer(IFTPShell)
class ShellWrapper:
    """
    A shell that hands every call on to another shell, unchanged.

    Subclasses override the methods they restrict. The methods of the
    optional interfaces are made for it from
    L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES} and are only provided,
    in the C{zope.interface} sense, when the wrapped shell provides them.

    @cvar copiedForResumer: whether a session may have a copy of this
        wrapper of its own (L{forResumer}, a shallow copy around the
        wrapped shell's one for that session): a subclass sets it to
        C{True} when its state is shared by reference or belongs to a
        session. Without it (a subclass written before L{forResumer}
        existed, whose counters or caches a copy would split) the wrapper
        does not provide L{IFTPShellResumeOwners}, and every session uses
        the one wrapper, with cut uploads kept for everyone.
    """

    copiedForResumer = False

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} to wrap.
        """
        self._shell = shell
        for extra in OPTIONAL_SHELL_INTERFACES:
            if extra.providedBy(shell) and _keepsRestriction(type(self), extra):
                alsoProvides(self, extra)
        if IFTPShellRates.providedBy(shell):
            # Read once at login, from the shell the realm gives: a
            # ReadOnlyShell around a rated shell lost its rates (before
            # session 47), the download going at the server's rate.
            alsoProvides(self, IFTPShellRates)

    @property
    def accessClasses(self):
        """
        The access classes this shell lets through at all
        (L{ftpkit.protocol.access.allowedBy}): those of the shell it wraps,
        for a wrapper that does not restrict them.
        """
        return allowedBy(self._shell)

    @property
    def grantedPermissions(self):
        """
        The permissions of L{ftpkit.protocol.access.OFFERED_PERMISSIONS}
        this shell grants somewhere (L{ftpkit.protocol.access.grantedBy}):
        those of the shell it wraps, for a wrapper that does not restrict
        them.
        """
        return grantedBy(self._shell)

    @property
    def knownPermissions(self):
        """
        What L{grantedPermissions} speaks for
        (L{ftpkit.protocol.access.grantedBy}): every permission offered,
        when it is this class's (the wrapped shell's C{grantedBy} says
        them all); L{ftpkit.protocol.access.FIRST_OFFERED} for a subclass
        that overrides it and not this (one written before C{mkdir} was
        offered, which then keeps C{SITE MKDIR}). A subclass whose own
        C{grantedPermissions} decides them all says so here.
        """
        if type(self).grantedPermissions is ShellWrapper.grantedPermissions:
            return OFFERED_PERMISSIONS
        return FIRST_OFFERED

    downloadRate = property(
        lambda self: _rateOf(self, "downloadRate"),
        lambda self, rate: _setRate(self, "downloadRate", rate),
        doc="""
        See L{IFTPShellRates.downloadRate} (provided when the wrapped shell
        provides it, or the wrapper says it does): the rate set on this
        wrapper, else the wrapped shell's.
        """)

    uploadRate = property(
        lambda self: _rateOf(self, "uploadRate"),
        lambda self, rate: _setRate(self, "uploadRate", rate),
        doc="""
        See L{IFTPShellRates.uploadRate}; as L{downloadRate}.
        """)

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
        shell.__dict__ = self.__dict__.copy()
        shell._shell = self._shell.forResumer(resumer)
        return shell


_NOT_SET = object()
"""What a wrapper without a rate of its own has set."""


def _rateOf(wrapper, name):
    """
    @param wrapper: a L{ShellWrapper}.
    @param name: C{"downloadRate"} or C{"uploadRate"}.
    @return: the rate set on C{wrapper} (a realm's, the users file's),
        else the wrapped shell's, else C{None}.
    """
    own = wrapper.__dict__.get("_own" + name, _NOT_SET)
    if own is not _NOT_SET:
        return own
    return getattr(wrapper._shell, name, None)


def _setRate(wrapper, name, rate):
    """
    Set a rate of C{wrapper}'s own, which wins over the wrapped shell's.

    @param wrapper: a L{ShellWrapper}.
    @param name: C{"downloadRate"} or C{"uploadRate"}.
    @param rate: the rate.
    """
    wrapper.__dict__["_own" + name] = rate


def _keepsRestriction(cls, extra):
    """
    @param cls: a L{ShellWrapper} class.
    @param extra: an optional shell interface.
    @return: whether C{cls} may provide C{extra}: unless C{extra} is a
        variant of an L{IFTPShell} method (its tagged value
        C{"variantOf"}) that C{cls} overrides without overriding every
        method of C{extra} too, which would bypass what the override
        restricts; L{IFTPShellResumeOwners} only if C{cls} may be copied
        for a session (L{ShellWrapper.copiedForResumer}).
    """
    if extra is IFTPShellResumeOwners:
        return cls.copiedForResumer
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
