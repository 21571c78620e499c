"""
L{PermissionChecks}: how L{ftpkit.shells.permissions.PermissionShell}
checks the user's L{ftpkit.shells.permissiontable.PermissionTable}: a
permission at a path and, where the table has rules per directory and the
wrapped shell has symbolic links (L{ftpkit.interfaces.IFTPShellResolve}),
where the path leads too (a L{Guarded} path, checked again by the shell's
own walk); what a rename replacing its target and a resume before the end
of a file need besides; and the letters of the C{perm} fact a user is
shown (L{ftpkit.interfaces.IFTPShellPermitted}). What each shell method
needs, and the quotas, are the permission shell's.
"""

from twisted.internet import defer

from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShellResume
from ftpkit.protocol.access import OFFERED_PERMISSIONS, grantedBy
from ftpkit.protocol.permletters import maskOf
from ftpkit.shells.guardedpaths import Guarded
from ftpkit.shells.pathlookups import ownStatOrNone, sizeOf
from ftpkit.shells.permitted import narrowed, narrowedIn


class PermissionChecks:
    """
    A base of L{ftpkit.shells.permissions.PermissionShell}: its checks of
    the user's permissions.

    A class using it provides C{_table} (the user's
    L{ftpkit.shells.permissiontable.PermissionTable}), C{_shell} (the
    shell it wraps) and C{_resolves} (whether permissions are checked
    where paths lead: the table has rules per directory and the shell
    provides L{ftpkit.interfaces.IFTPShellResolve}).
    """

    knownPermissions = OFFERED_PERMISSIONS
    """What L{grantedPermissions} speaks for: every permission offered."""

    @property
    def grantedPermissions(self):
        """
        See L{ftpkit.protocol.access.grantedBy}: C{set-time}, C{chmod},
        C{append} and C{mkdir} where the user's permissions grant them in
        some directory, and the shell it wraps does.
        """
        return (OFFERED_PERMISSIONS & self._table.grantedAnywhere()
                & grantedBy(self._shell))

    def permitted(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellPermitted.permitted}: the letters
        of the permissions at C{path}, without C{f} above a directory with
        rules of its own (which
        L{ftpkit.shells.permissions.PermissionShell.rename} refuses).
        """
        table = self._table
        mask = maskOf(table.permissionsAt(path))
        if table.rulesBelow(path):
            mask = mask - {"f"}
        return narrowed(self._shell, path, mask)

    def permittedIn(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellPermitted.permittedIn}: the
        entries of a directory have its permissions, but those with rules
        of their own or below them (L{permitted}).
        """
        depth = len(path)
        named = {directory[depth] for directory, _ in self._table.overrides
                 if len(directory) > depth
                 and directory[:depth] == tuple(path)}
        return narrowedIn(
            self._shell, path, maskOf(self._table.permissionsAt(path)),
            {name: self.permitted(tuple(path) + (name,)) for name in named})

    def _allows(self, permission):
        """
        @return: the test of whether C{permission} is granted at a path.
        """
        return lambda path: self._table.allows(path, permission)

    def _guarded(self, path, allowed):
        """
        @param allowed: the test of a path the action needs (L{_allows}).
        @return: C{path} as the wrapped shell is asked to act on it: where
            the permission is checked where paths lead, a
            L{Guarded} path, so that the shell checks it again where its
            own walk of the path reaches (the check here walks it apart,
            and a link swapped in between led the act past the rule).
        """
        if not self._resolves:
            return path
        return Guarded(path, allowed)

    def _checked(self, allowed, pathList, then=lambda: None):
        """
        Call C{then} once C{allowed} holds at every path, and where each
        leads (when that can differ: see the module's description).

        @param allowed: a test of a path.
        @param pathList: the paths.
        @param then: called with no argument.
        @return: a Deferred with what C{then} gives, or failing with
            L{PermissionDenied}.
        """
        if not all(map(allowed, pathList)):
            return defer.fail(PermissionDenied())
        if not self._resolves:
            return defer.maybeDeferred(then)
        return self._leadsAllowed(allowed, list(pathList)).addCallback(
            lambda _: then())

    def _leadsAllowed(self, allowed, pathList):
        """
        @return: a Deferred firing once C{allowed} holds where each path
            leads (resolved one after another), or failing with
            L{PermissionDenied}.
        """
        if not pathList:
            return defer.succeed(None)

        def check(resolved):
            if resolved is not None and not allowed(resolved):
                raise PermissionDenied()
            return self._leadsAllowed(allowed, pathList[1:])

        return self._shell.resolve(pathList[0]).addCallback(check)

    @defer.inlineCallbacks
    def _replaceAllowed(self, path, found=None):
        """
        Check that a rename may replace what is at its target: allowed
        where there is nothing (a link leading nowhere is something), or
        with C{write} or C{delete} there.

        @param path: the target.
        @param found: its L{ftpkit.fileinfo.FileInfo} when already known.
        @return: a Deferred firing once allowed, or failing with
            L{PermissionDenied}.
        """
        table = self._table
        try:
            yield self._checked(
                lambda each: (table.allows(each, "write")
                              or table.allows(each, "delete")), [path])
            return
        except PermissionDenied:
            pass
        if found is None:
            found = yield ownStatOrNone(self._shell, path)
        if found is not None:
            raise PermissionDenied()

    @defer.inlineCallbacks
    def _resumeAllowed(self, path, offset):
        """
        Check a write from C{offset} (C{REST} + C{STOR}), which keeps what
        is before it and replaces what is after: one that starts before
        the end of what is there (the file, or the cut upload the shell
        kept for a resume) needs C{write} as well as C{append}. With
        C{append} alone, C{REST 1} + C{STOR} cut any file down to its
        first byte plus what the client sent.

        @return: a Deferred firing once allowed, or failing with
            L{PermissionDenied}.
        """
        try:
            yield self._checked(self._allows("write"), [path])
            return
        except PermissionDenied:
            pass
        kept = None
        if IFTPShellResume.providedBy(self._shell):
            kept = yield self._shell.resumableSize(path)
        if kept is None:
            kept = yield sizeOf(self._shell, path)
        if offset < kept:
            raise PermissionDenied()

    def _mayLook(self, path):
        """
        @return: whether the user may look at C{path}: with C{list} or
            C{read} there.
        """
        permissions = self._table.permissionsAt(path)
        return "list" in permissions or "read" in permissions
