"""
The permissions of one user (L{PermissionTable}): which of L{PERMISSIONS}
apply at a path, a default set with overrides per directory. What
L{ftpkit.shells.permissions.PermissionShell} enforces, and what a users
file (L{ftpkit.auth.usersfile}) or a realm gives it.
"""

from ftpkit.protocol import paths

PERMISSIONS = (
    "list", "read", "write", "append", "delete", "rename", "mkdir",
    "set-time", "chmod",
)
"""Every permission name, in the order documentation shows them."""


class PermissionTable:
    """
    The permissions of one user: a default set and overrides for
    directories, the longest matching directory winning.

    @ivar default: the C{frozenset} of permissions outside any override.
    @ivar overrides: C{(path, frozenset)} pairs, longest path first.
    """

    def __init__(self, default, overrides=()):
        """
        @param default: an iterable of permission names.
        @param overrides: a mapping or pairs of directory path (a tuple of
            segments) to an iterable of permission names.
        """
        self.default = frozenset(default)
        pairs = overrides.items() if hasattr(overrides, "items") else overrides
        self.overrides = tuple(sorted(
            ((tuple(path), frozenset(names)) for path, names in pairs),
            key=lambda pair: -len(pair[0]),
        ))

    def permissionsAt(self, path):
        """
        @param path: a tuple of segments.
        @return: the C{frozenset} of permissions that apply at C{path}.
        """
        for directory, names in self.overrides:
            if paths.isWithin(path, directory):
                return names
        return self.default

    def allows(self, path, permission):
        """
        @param path: a tuple of segments.
        @param permission: a name from L{PERMISSIONS}.
        @return: whether C{permission} is granted at C{path}.
        """
        return permission in self.permissionsAt(path)

    def grantedAnywhere(self):
        """
        @return: the C{frozenset} of permissions granted at some path: by
            default or in some directory.
        """
        return self.default.union(*(names for _, names in self.overrides))

    def rulesBelow(self, path):
        """
        @param path: a tuple of segments.
        @return: whether an override names a directory strictly below
            C{path}: renaming C{path} would carry that directory's
            contents out from under its rule, and renaming something to
            C{path} would put what it holds under the rule.
        """
        depth = len(path)
        return any(len(directory) > depth and paths.isWithin(directory, path)
                   for directory, _ in self.overrides)
