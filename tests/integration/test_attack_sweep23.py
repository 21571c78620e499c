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
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import formatEvent
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
from ftpkit.ops import events
from ftpkit.ops.eventlog import REFUSAL_LINES
from tests.integration.test_users import writeText
from tests.protocol.test_server import captureLogs, connect, makeFactory, replyCodes


class TransferBeforeDataLinesTests(unittest.TestCase):
    """
    Transfers that fail before their data connection opens get the
    session's refusal lines, not a line each.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=0.0)
        self.published = []
        self.factory.events.subscribe(self.published.append)

    def test_noDataConnectionBounded(self):
        """
        C{REFUSAL_LINES + 50} pipelined C{RETR} of an existing file with
        no data connection: each gets C{425} and is published as a failed
        transfer, but the log has C{REFUSAL_LINES} of their lines and one
        counting the 50 others, before the logout line (it had a line
        for each).
        """
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"RETR /d/f.txt\r\n" * (REFUSAL_LINES + 50))
        self.clock.advance(0)
        protocol.dataReceived(b"QUIT\r\n")
        protocol.connectionLost(None)
        self.assertEqual(replyCodes(transport).count("425"),
                         REFUSAL_LINES + 50)
        self.assertEqual(
            len([event for event in self.published
                 if event.kind == events.TRANSFER and event.beforeData]),
            REFUSAL_LINES + 50)
        lines = [formatEvent(event) for event in logged
                 if event.get("ftpkit_event") in (
                     "transfer", "refusals-not-logged", "logout")]
        failed = ("RETR from 10.0.0.1 user 'anonymous' path '/d/f.txt': "
                  "425, 0 bytes in 0.000 s")
        self.assertEqual(lines[:-1], [failed] * REFUSAL_LINES + [
            "50 more refused commands from 10.0.0.1 user 'anonymous' "
            "not logged"])
        self.assertTrue(lines[-1].startswith("logout from 10.0.0.1"))


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


class TransferLogBeforeDataTests(unittest.TestCase):
    """
    The transfer log (C{--xferlog}) has a session's transfers that failed
    before their data connection, as many a minute as the log has.
    """

    def test_bounded(self):
        """
        C{REFUSAL_LINES + 50} pipelined C{RETR} of a file with no data
        connection: C{REFUSAL_LINES} transfer log lines, then another
        session's get lines of their own, and so do the first session's
        once a minute passed (it had a line for each).
        """
        path = self.mktemp()
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=0.0, xferlog=path)
        flooding, _ = connect(factory)
        flooding.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"RETR /d/f.txt\r\n" * (REFUSAL_LINES + 50))
        clock.advance(0)
        other, _ = connect(factory, "10.0.0.2")
        other.dataReceived(b"USER anonymous\r\nPASS x\r\nRETR /top.bin\r\n")
        clock.advance(60)
        flooding.dataReceived(b"RETR /d/f.txt\r\n")
        clock.advance(0)
        with open(path) as log:
            lines = log.read().splitlines()
        self.assertEqual(
            [(line.split()[6], line.split()[8]) for line in lines],
            [("10.0.0.1", "/d/f.txt")] * REFUSAL_LINES
            + [("10.0.0.2", "/top.bin"), ("10.0.0.1", "/d/f.txt")])
