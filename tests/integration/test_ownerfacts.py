"""
The owner and group facts of C{MLSD} (C{UNIX.owner}, C{UNIX.ownername},
C{UNIX.group}, C{UNIX.groupname}) read by real clients, against C{python
-m ftpkit} in a child process: ftplib's C{mlsd()}, which asks for them
with C{OPTS MLST}, after a C{LIST} (the listing cache's kept results
format them) and again (its kept lines); lftp's C{cls -l}, which asks
for C{UNIX.owner} and C{UNIX.group} where C{FEAT} lists them and shows
them as C{LIST}'s owner and group columns.
"""

import grp
import os
import pwd

from twisted.trial import unittest

from tests.clientmatrix import LFTP, ClientServerMixin

OWNER_FACTS = ["unix.owner", "unix.ownername", "unix.group",
               "unix.groupname"]


class OwnerFactsTests(ClientServerMixin, unittest.TestCase):
    """
    Clients that read the owner facts, on a root holding a file and a
    directory.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        with open(os.path.join(self.root, "a.txt"), "wb") as f:
            f.write(b"abc")
        os.mkdir(os.path.join(self.root, "sub"))
        self.serve()

    def expected(self, *segments):
        """
        @return: the owner facts ftplib gives for a served path, as the
            disk has them.
        """
        result = os.stat(os.path.join(self.root, *segments))
        return {"unix.owner": str(result.st_uid),
                "unix.ownername": pwd.getpwuid(result.st_uid).pw_name,
                "unix.group": str(result.st_gid),
                "unix.groupname": grp.getgrgid(result.st_gid).gr_name}

    def test_ftplib(self):
        """
        ftplib's C{mlsd()} asking for the owner facts gets each entry's
        ids and names, the names C{LIST} shows, listed after C{LIST} and
        again; a session that does not ask gets none.
        """
        client = self.ftplib()
        lines = []
        client.retrlines("LIST", lines.append)
        shown = {line.split()[-1]: line.split()[2:4] for line in lines}
        for _ in range(2):
            listed = {name: {fact: facts.get(fact) for fact in OWNER_FACTS}
                      for name, facts in client.mlsd("/", OWNER_FACTS)}
            self.assertEqual(listed, {".": self.expected(),
                                      "a.txt": self.expected("a.txt"),
                                      "sub": self.expected("sub")})
            for name in ("a.txt", "sub"):
                self.assertEqual(
                    [listed[name]["unix.ownername"],
                     listed[name]["unix.groupname"]], shown[name])
        plain = self.ftplib()
        for _, facts in plain.mlsd("/"):
            self.assertFalse(set(facts) & set(OWNER_FACTS), facts)

    def test_lftp(self):
        """
        lftp's C{cls -l} (C{MLSD}) shows each entry's owner and group.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        out = self.lftp("cls -l /").stdout.decode()
        columns = {line.split()[-1]: line.split()[1:3]
                   for line in out.splitlines()}
        for name, path in (("/a.txt", "a.txt"), ("/sub/", "sub")):
            facts = self.expected(path)
            self.assertEqual(columns[name],
                             [facts["unix.owner"], facts["unix.group"]], out)
