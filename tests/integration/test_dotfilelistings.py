"""
Names starting with C{.} in listings, the same on every realm and in
every listing command (docs/protocol.rst, "Hidden files"): C{LIST},
C{NLST}, C{MLSD}, C{STAT} and C{LIST -R} show them, with or without
C{-a} or C{-A} (which ask for nothing more, and never add C{.} and
C{..}); a wildcard matches a leading C{.} only where the pattern starts
with one, with C{-a} too, as ProFTPD and Pure-FTPd match. Only
C{--hide-dotfiles} hides them, everywhere (L{tests.integration.
test_accessoptions}).
"""

import io

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from tests.everyrealm import EveryRealmMixin
from tests.ftpclient import ftplibLogin, listingLines

EVERY = [".h", ".hd", "d", "v"]
"""The names in the root."""

VISIBLE = ["d", "v"]
"""Those C{*} matches."""

EXPECTED = {
    **dict.fromkeys(["LIST", "LIST -a", "LIST -la", "LIST -A", "NLST",
                     "NLST -a", "NLST -A", "MLSD", "STAT .", "STAT -a ."],
                    EVERY),
    **dict.fromkeys(["LIST *", "LIST -a *", "LIST -la *", "NLST *",
                     "NLST -a *", "STAT *", "STAT -a *"], VISIBLE),
    **dict.fromkeys(["LIST .*", "NLST .*", "LIST -a .*"], [".h", ".hd"]),
    **dict.fromkeys(["LIST d", "LIST -a d"], [".i", "x"]),
    "NLST d": ["d/.i", "d/x"],
    "LIST -R": ["", "", "./.hd:", "./d:", ".:", ".h", ".hd", ".i", "d", "v",
                "x"],
}
"""The names each command shows, sorted."""


def _names(ftp, command):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: a listing command, sent on the data connection, or on
        the control connection for C{STAT}.
    @return: the names it shows (the last word of each line), sorted.
    """
    if command == "MLSD":
        lines = [name for name, facts in ftp.mlsd()
                 if facts["type"] not in ("cdir", "pdir")]
    elif command.startswith("STAT"):
        lines = ftp.sendcmd(command).splitlines()[1:-1]
    else:
        lines = listingLines(ftp, command)
    return sorted((line.split() or [""])[-1] for line in lines)


class DotfileListingTests(EveryRealmMixin, LoopbackServerMixin,
                          unittest.TestCase):
    """
    Each listing command on a root of C{.h}, C{.hd/}, C{d/.i}, C{d/x}
    and C{v}, made over FTP.
    """

    @defer.inlineCallbacks
    def check(self, realm):
        """
        Each of L{EXPECTED} shows its names.

        @param realm: the realm served.
        """
        server = self.startServer(realm)

        def client():
            ftp = ftplibLogin(self, server.port)
            for directory in (".hd", "d"):
                ftp.mkd(directory)
            for name in (".h", "v", "d/.i", "d/x"):
                ftp.storbinary("STOR " + name, io.BytesIO(b"x"))
            seen = {command: _names(ftp, command) for command in EXPECTED}
            ftp.quit()
            return seen

        seen = yield self.inThread(client)
        self.assertEqual(seen, EXPECTED)
