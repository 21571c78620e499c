"""
A users file's users with the same permission rules share one
L{ftpkit.shells.permissiontable.PermissionTable}
(L{ftpkit.auth.usersfile.sharedTable}): one each, 60,001 users held some
60,000 tables alike.
"""

from twisted.trial import unittest

from ftpkit.auth.usersfile import parseUser, parseUsers

TEXT = """
[users.alice]
permissions = ["list", "read"]
[users.bob]
[users.carol]
permissions = ["list", "read", "write"]
[users.dave]
[users.dave.directories."/incoming"]
permissions = ["list", "write"]
[users.erin]
permissions = ["read", "list"]
[users.erin.directories."/incoming"]
permissions = ["write", "list"]
[users.frank]
[users.frank.directories."/incoming"]
permissions = ["list"]
"""


class SharedTablesTests(unittest.TestCase):
    """
    L{parseUsers} gives users of the same rules one table.
    """

    def test_sameRulesOneTable(self):
        """
        The same default permissions and the same directories' make one
        table, in whatever order they are written; any difference, in
        the default or in a directory's, another.
        """
        users = parseUsers(TEXT)
        tables = {name: entry.permissions for name, entry in users.items()}
        self.assertIs(tables["alice"], tables["bob"])
        self.assertIs(tables["dave"], tables["erin"])
        self.assertEqual(len({id(table) for table in tables.values()}), 4)
        self.assertEqual(tables["dave"].permissionsAt(("incoming", "x")),
                         {"list", "write"})
        self.assertEqual(tables["frank"].permissionsAt(("incoming",)),
                         {"list"})
        self.assertEqual(tables["frank"].permissionsAt(()), {"list", "read"})
        self.assertEqual(tables["carol"].permissionsAt(()),
                         {"list", "read", "write"})

    def test_ownTableAlone(self):
        """
        A user parsed alone (C{python -m ftpkit.passwd}, a PostgreSQL
        row) has a table of their own.
        """
        self.assertIsNot(parseUser("alice", {}).permissions,
                         parseUser("bob", {}).permissions)
