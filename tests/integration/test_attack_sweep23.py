"""
The twenty-third attack sweep: what a client's text and numbers reach on
the operator's side (the text and JSON logs, the transfer log,
C{--on-upload}, C{/metrics}, C{/sessions}).

A transfer command that failed before its data connection opened (a
C{RETR} of an existing file with no C{PASV} or C{PORT} before it: C{425})
was logged as a transfer, a warning line each, never bounded ("each
stands for work done"), though it did no work: 2,000 pipelined
C{RETR /pub.txt} from an anonymous session (30 KB sent) wrote 2,000 lines
(234 KB) to the log of C{python -m ftpkit}, as fast as the server
answered, and a path as long as a deep directory allows made each line
longer still. Such a transfer now shares the session's refusal lines
(L{ftpkit.ops.eventlog.REFUSAL_LINES} a minute, then one count of those
left out); the metrics still get each of them. The transfer log
(C{--xferlog}) had a line for each too, with the file's whole path: an
anonymous session 15 directories of 250 bytes down had 10,000 pipelined
C{RETR f} (80 KB) append 38 MB to it in a second. It now has as many of
those lines a minute as the log (101 lines, 387 KB).

A users file (C{--auth users:PATH}) whose hashes an operator made at
another cost than ftpkit's default (C{scrypt$131072$8$1$...}, what OWASP
advises, from a tool of their own: the file's format allows any) had
failed logins of unknown names checked against a dummy hash of the
default cost, C{2**14}: 0.035 s against a known name's 0.39 s, so the
time of a failed login told which names exist, which
C{docs/virtual-users.rst} promised it does not. The dummy now has the
cost most of the file's hashes have (L{ftpkit.auth.users.commonCost}),
as the C{unix} checker's has the system's.
"""

from twisted.cred import credentials, error
from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import users
from ftpkit.auth.passwordhash import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    hashPassword,
    parseHash,
)
from ftpkit.auth.usersfile import UserEntry
from tests.integration.test_users import writeText


class UnknownUserCostTests(unittest.TestCase):
    """
    A failed login for a name a users file does not have costs the check
    a known name's does, whatever cost the file's hashes were made at.
    """

    def checkedCosts(self, text, names):
        """
        @param text: a users file's text.
        @param names: user names to log in as with a wrong password.
        @return: the scrypt C{(n, r, p)} of each hash checked.
        """
        path = self.mktemp()
        writeText(path, text)
        checked = []

        def verify(password, stored):
            checked.append(parseHash(stored)[:3])
            return False

        self.patch(users, "verifyPassword", verify)
        checker = users.UsersChecker(users.UsersDatabase(path),
                                     lambda call, *args: defer.execute(
                                         call, *args))
        for name in names:
            self.failureResultOf(checker.requestAvatarId(
                credentials.UsernamePassword(name.encode(), b"wrong")),
                error.UnauthorizedLogin)
        return checked

    def test_dummyOfTheFilesCost(self):
        """
        In a file whose hashes were made at C{N=32} (an operator's tool
        of its own; C{N=2**17} in the real case), an unknown name and a
        user without a password are checked against a hash of that cost
        as alice is: they were checked at the default cost, C{2**14},
        so that an unknown name was answered in a tenth of a known one's
        time.
        """
        hashed = hashPassword("secret", n=32, r=1, p=1)
        text = (f'[users.alice]\npassword = "{hashed}"\n'
                f'[users.bob]\npassword = "{hashed}"\n'
                '[users.carol]\n')
        self.assertEqual(self.checkedCosts(text, ["alice", "nobody", "carol"]),
                         [(32, 1, 1)] * 3)

    def test_commonCost(self):
        """
        The dummy has the cost most of the hashes have; the default when
        no user has one.
        """
        rare = hashPassword("x", n=16, r=1, p=1)
        common = hashPassword("x", n=32, r=1, p=1)
        self.assertEqual(
            users.commonCost([UserEntry("a", rare, "a", None),
                              UserEntry("b", common, "b", None),
                              UserEntry("c", common, "c", None),
                              UserEntry("d", None, "d", None)]),
            (32, 1, 1))
        self.assertEqual(users.commonCost([]),
                         (SCRYPT_N, SCRYPT_R, SCRYPT_P))
