"""
Who may change what: the one owner of the server's access rules.

These settings decide it, for every session whatever its realm:
C{--read-only} (nobody changes anything), the anonymous rules (anonymous
users only look, or with C{--anonymous-write} also create new files and
directories, never replacing, appending to, deleting, renaming or touching
anything), C{--hold-anonymous-uploads} (anonymous users download only
world-readable files, and their uploads are not), C{--hide-dotfiles}
(names starting with C{.} do not exist for users) and C{--no-site-chmod}.

A realm may hold a user to rules of its own (a user read-only in the
users file): the shell it gives says which access classes it lets
through (L{allowedBy}), and the user's policy is narrowed to them at
login (L{AccessPolicy.within}), so that such a user is refused before a
command runs as a C{--read-only} one is (C{RNFR} gets C{550}, not
C{350} and a refused C{RNTO}). Where such rules differ from one path to
another (a users file's C{directories}), the shell tells them per path in
the letters of the C{perm} fact (L{ftpkit.interfaces.IFTPShellPermitted}),
and C{RNFR} asks them (L{mayRename}) before it answers C{350}.

They are enforced twice, from this one place:

    - before a command runs, from the command's L{access class
      <ftpkit.protocol.commandtable.Command.access>} (L{AccessPolicy.allows}), so a
      refused command costs nothing and says so at once;
    - on the shell the realm gave (L{AccessPolicy.guard}), so that what
      the verb alone cannot tell (an upload onto an existing file, a
      resumed upload) is refused too, whatever shell a realm returns.

Pure: no reactor.
"""

import dataclasses
import functools
from dataclasses import dataclass

from ftpkit.interfaces import IFTPShellPermitted
from ftpkit.protocol.leadmasks import permittedThere

READ = "read"
"""Changes nothing: allowed to everybody logged in."""

CREATE = "create"
"""Makes something new (an upload, a directory) and touches nothing that
exists: allowed to anonymous users with C{--anonymous-write}."""

CHANGE = "change"
"""Changes or removes what exists (delete, rename, append, set times or
permissions): never allowed to anonymous users."""

EVERY_CLASS = frozenset([READ, CREATE, CHANGE])
"""Every access class: what a shell that declares none lets through."""


def allowedBy(shell):
    """
    The access classes a shell lets through at all.

    A shell declares them in its C{accessClasses} attribute (the guard
    wrappers of L{ftpkit.shells.wrappers} do, and every
    L{ftpkit.shells.shellwrapper.ShellWrapper} passes on what the shell it
    wraps declares); one that declares nothing may be asked anything, and
    refuses what it refuses on its own.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @return: a C{frozenset} of L{READ}, L{CREATE} and L{CHANGE}.
    """
    return getattr(shell, "accessClasses", EVERY_CLASS)


SET_TIME = "set-time"
"""The permission to set a file's times (C{MFMT}, C{SITE UTIME}, C{MFF}'s
C{modify}), as a users file names it."""

CHMOD = "chmod"
"""The permission to set a file's mode (C{SITE CHMOD}, C{MFF}'s
C{UNIX.mode}), as a users file names it."""

APPEND = "append"
"""The permission to append to a file or resume an upload (C{APPE},
C{REST} then C{STOR}), as a users file names it."""

MKDIR = "mkdir"
"""The permission to make a directory (C{MKD}, C{SITE MKDIR}), as a
users file names it."""

OFFERED_PERMISSIONS = frozenset([SET_TIME, CHMOD, APPEND, MKDIR])
"""The permissions a session offers the commands of only where the user
has them somewhere (L{grantedBy}): what a shell that declares none
grants."""

FIRST_OFFERED = frozenset([SET_TIME, CHMOD, APPEND])
"""The permissions L{OFFERED_PERMISSIONS} held when shells and realms
began to declare C{grantedPermissions} (session 46, before C{mkdir}
joined them): what a declaration without C{knownPermissions} speaks
for (L{grantedBy})."""


def grantedBy(shell):
    """
    Which of L{OFFERED_PERMISSIONS} a shell grants somewhere.

    A shell declares them in its C{grantedPermissions} attribute, a
    C{frozenset} (the permission shell of a users file does, from the
    user's permissions in every directory, and every
    L{ftpkit.shells.shellwrapper.ShellWrapper} passes on what the shell it
    wraps declares); one that declares nothing may be asked, and refuses
    what it refuses on its own. What is granted nowhere is not offered:
    C{FEAT}, C{HELP} and C{SITE HELP} leave out C{MFMT}, C{MFF}'s facts,
    C{SITE UTIME}, C{SITE CHMOD} and C{SITE MKDIR}, and C{OPTS REST
    STOR} says uploads do not resume. rclone sets each upload's time
    where C{FEAT} lists C{MFMT} after login, and failed every upload on
    the C{550}; WinSCP resumes uploads where C{OPTS REST STOR} says they
    resume.

    A declaration speaks for the permissions its C{knownPermissions}
    attribute names (a C{frozenset}), or for L{FIRST_OFFERED} where there
    is none: a permission added to L{OFFERED_PERMISSIONS} after it was
    written counts as granted. A shell or realm of a plugin that listed
    C{set-time}, C{chmod} and C{append} by hand before C{mkdir} was
    offered so keeps C{SITE MKDIR}; one that decides C{mkdir} too says
    C{knownPermissions = OFFERED_PERMISSIONS} (ftpkit's own do).

    @param shell: an L{ftpkit.interfaces.IFTPShell}, or a realm (what
        C{FEAT} offers before login).
    @return: a C{frozenset} of L{OFFERED_PERMISSIONS}; where
        C{knownPermissions} names them all, the declared
        C{grantedPermissions} themselves, unchecked (every login asks).
    """
    granted = getattr(shell, "grantedPermissions", None)
    if granted is None:
        return OFFERED_PERMISSIONS
    known = getattr(shell, "knownPermissions", FIRST_OFFERED)
    if known >= OFFERED_PERMISSIONS:
        return granted
    return OFFERED_PERMISSIONS & (frozenset(granted)
                                  | (OFFERED_PERMISSIONS - known))


RENAME = "f"
"""The letter of the C{perm} fact that allows renaming an entry."""


async def mayRename(shell, path):
    """
    Whether the rules a shell holds let the entry at a path be renamed,
    asked by C{RNFR} so that a rename the shell would refuse gets C{550}
    at once rather than C{350} and a refused C{RNTO}: the rename letter of
    the C{perm} fact the shell gives there
    (L{ftpkit.interfaces.IFTPShellPermitted}), at the path and where it
    leads (L{ftpkit.protocol.leadmasks.permittedThere}, which the facts
    of C{MLST} and C{MLSD} ask too), as
    L{ftpkit.shells.permissions.PermissionShell.rename} checks. A shell
    that tells no C{perm} letters may be asked: it refuses a rename on
    its own.

    @param shell: the session's L{ftpkit.interfaces.IFTPShell}.
    @param path: a tuple of segments.
    @return: a coroutine giving a C{bool}.
    """
    if not IFTPShellPermitted.providedBy(shell):
        return True
    return RENAME in await permittedThere(shell, path)


@dataclass(frozen=True)
class AccessPolicy:
    """
    The access rules of one logged-in user.

    @ivar readOnly: nobody may change anything (C{--read-only}).
    @ivar anonymous: the user logged in anonymously.
    @ivar anonymousWrite: anonymous users may create new files and
        directories (C{--anonymous-write}).
    @ivar holdUploads: this user downloads only world-readable files and
        uploads files that are not (an anonymous user under
        C{--hold-anonymous-uploads}).
    @ivar hideDotfiles: names starting with C{.} are hidden
        (C{--hide-dotfiles}).
    @ivar siteChmod: C{SITE CHMOD} is available (no C{--no-site-chmod}).
    @ivar createOnly: the user may create new files and directories and
        change nothing that exists (a realm's upload-only user:
        L{within}).
    @ivar timesGranted: the user's permissions grant L{SET_TIME}
        somewhere (L{within}, L{grantedBy}).
    @ivar modesGranted: they grant L{CHMOD} somewhere.
    @ivar resumesGranted: they grant L{APPEND} somewhere.
    @ivar directoriesGranted: they grant L{MKDIR} somewhere.
    """

    readOnly: bool = False
    anonymous: bool = False
    anonymousWrite: bool = False
    hideDotfiles: bool = False
    siteChmod: bool = True
    holdUploads: bool = False
    createOnly: bool = False
    timesGranted: bool = True
    modesGranted: bool = True
    resumesGranted: bool = True
    directoriesGranted: bool = True

    @classmethod
    def forUser(cls, config, anonymous):
        """
        @param config: the server's L{ftpkit.config.ServerConfig}.
        @param anonymous: whether the user logged in anonymously.
        @return: the L{AccessPolicy} of that user on that server.
        """
        return cls.of(bool(config.readOnly), bool(anonymous),
                      bool(config.anonymousWrite), bool(config.hideDotfiles),
                      bool(config.siteChmod),
                      bool(anonymous and config.holdAnonymousUploads))

    @classmethod
    @functools.lru_cache(maxsize=None)
    def of(cls, *settings):
        """
        The policy with these settings, made once and shared: a policy is
        an immutable value, and every login asks for one of a handful.

        @param settings: the fields, in order, as C{bool}s (at most 64
            combinations are cached).
        @return: an L{AccessPolicy}.
        """
        return cls(*settings)

    def allows(self, access):
        """
        @param access: an access class: L{READ}, L{CREATE} or L{CHANGE}.
        @return: whether this user may do something of that class at all.
        """
        if access == READ:
            return True
        if self.readOnly:
            return False
        if self.anonymous:
            return self.anonymousWrite and access == CREATE
        if self.createOnly:
            return access == CREATE
        return True

    def granting(self, granted):
        """
        These rules, where only C{granted} of L{OFFERED_PERMISSIONS} are
        granted somewhere (L{grantedBy}: of the shell a user got, or of
        a realm's every named user, before login).

        @param granted: a C{frozenset} of permission names.
        @return: this policy, or a stricter one.
        """
        if granted >= OFFERED_PERMISSIONS:
            return self
        return dataclasses.replace(
            self, timesGranted=self.timesGranted and SET_TIME in granted,
            modesGranted=self.modesGranted and CHMOD in granted,
            resumesGranted=self.resumesGranted and APPEND in granted,
            directoriesGranted=self.directoriesGranted and MKDIR in granted)

    def within(self, shell):
        """
        These rules, narrowed to what the shell a realm gave lets through
        (L{allowedBy}): a realm's read-only user is then refused every
        change before the command runs, as under C{--read-only}; and to
        the permissions it grants somewhere (L{grantedBy}), whose
        commands the session then does not offer.

        @param shell: the L{ftpkit.interfaces.IFTPShell} the realm gave.
        @return: this policy, or a stricter one.
        """
        policy = self.granting(grantedBy(shell))
        allowed = allowedBy(shell)
        if CREATE not in allowed and policy.allows(CREATE):
            return dataclasses.replace(policy, readOnly=True)
        if CHANGE not in allowed and policy.allows(CHANGE):
            return dataclasses.replace(policy, createOnly=True)
        return policy

    def guard(self, shell, held=None):
        """
        Hold a shell to these rules.

        Wrapping a shell that a realm already guarded with the same or
        stricter write rules (L{ftpkit.auth.realms.wrapForUser}) does not wrap
        it again, so guarding twice costs nothing.

        @param shell: an L{ftpkit.interfaces.IFTPShell}.
        @param held: the server's L{ftpkit.shells.held.HeldUploads}, for
            L{holdUploads} (a new one when omitted).
        @return: C{shell}, or the wrappers of L{ftpkit.shells.wrappers}
            and L{ftpkit.shells.held} that these rules need around it.
        """
        # The wrappers are imported only when needed: this module is pure,
        # and most logins need none.
        if not self.allows(CHANGE):
            from ftpkit.shells.wrappers import ReadOnlyShell, UploadOnlyShell

            wrapper = UploadOnlyShell if self.allows(CREATE) else ReadOnlyShell
            if type(shell) is not ReadOnlyShell and type(shell) is not wrapper:
                shell = wrapper(shell)
        if self.holdUploads:
            from ftpkit.shells.held import HeldUploads, HeldUploadsShell

            shell = HeldUploadsShell(
                shell, held if held is not None else HeldUploads())
        if self.hideDotfiles:
            from ftpkit.shells.wrappers import HideDotfilesShell

            shell = HideDotfilesShell(shell)
        return shell
