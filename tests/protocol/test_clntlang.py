"""
C{CLNT} (ProFTPD's) and C{LANG} (RFC 2640) on L{StringTransport}: both
answer before login, C{FEAT} lists both, and the name a client gives is
on the operators' session list.
"""

from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.who import sessionRecord
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo


class ClntTests(unittest.TestCase):
    """
    C{CLNT <name>}: C{200}, the name kept for the session list.
    """

    def setUp(self):
        self.protocol, self.transport = loggedIn(MemoryShell({}))

    def test_beforeLogin(self):
        """
        Before login, as ProFTPD allows: C{200}, and the session list shows
        the name, cleaned.
        """
        replies = repliesTo(self.protocol, self.transport, b"REIN",
                           b"CLNT Cyber\x1bduck  9.1", b"USER alice")
        self.assertEqual(replies[1], b"200 OK\r\n")
        self.assertEqual(sessionRecord(self.protocol, 0)["client"],
                         "Cyber?duck 9.1")

    def test_keptAcrossREIN(self):
        """
        It names the client, not the user: C{REIN} keeps it, a second
        C{CLNT} replaces it.
        """
        repliesTo(self.protocol, self.transport, b"CLNT one", b"REIN")
        self.assertEqual(sessionRecord(self.protocol, 0)["client"], "one")
        repliesTo(self.protocol, self.transport, b"CLNT two")
        self.assertEqual(sessionRecord(self.protocol, 0)["client"], "two")

    def test_loginEvent(self):
        """
        The session's events carry the name: its login's log line shows
        it.
        """
        published = []
        self.protocol.factory.events.subscribe(published.append,
                                               [events.LOGIN])
        repliesTo(self.protocol, self.transport, b"REIN", b"CLNT lftp/4.9.2",
                 b"USER alice", b"PASS secret")
        [login] = published
        self.assertEqual(login.client, "lftp/4.9.2")

    def test_none(self):
        """
        Without C{CLNT}, the record's C{client} is C{None}; C{CLNT} without
        a name is C{501} and keeps none.
        """
        [reply] = repliesTo(self.protocol, self.transport, b"CLNT")
        self.assertEqual(reply[:4], b"501 ")
        self.assertIsNone(sessionRecord(self.protocol, 0)["client"])

    def test_capped(self):
        """
        A long name is cut short: the client chooses it.
        """
        repliesTo(self.protocol, self.transport, b"CLNT " + b"x" * 5000)
        self.assertEqual(sessionRecord(self.protocol, 0)["client"], "x" * 64)


class LangTests(unittest.TestCase):
    """
    C{LANG}: English only.
    """

    def setUp(self):
        self.protocol, self.transport = loggedIn(MemoryShell({}))

    def test_replies(self):
        """
        No argument, C{EN}, C{en-US}: C{200}; another language C{504}; a
        tag that is none C{501}. Before login too.
        """
        replies = repliesTo(self.protocol, self.transport, b"REIN", b"LANG",
                           b"LANG EN", b"lang en-US", b"LANG fr",
                           b"LANG EN_US")
        self.assertEqual(replies[1:], [
            b"200 Using language EN\r\n", b"200 Using language EN\r\n",
            b"200 Using language EN\r\n",
            b"504 Language fr not supported\r\n",
            b"501 Syntax: LANG [<language tag>]\r\n"])

    def test_featAndHelp(self):
        """
        C{FEAT} lists C{CLNT} and C{LANG EN*} (the one language, chosen);
        C{HELP} gives their syntax.
        """
        feat, lang, clnt = repliesTo(self.protocol, self.transport, b"FEAT",
                                    b"HELP LANG", b"HELP CLNT")
        self.assertIn(b"\r\n CLNT\r\n", feat)
        self.assertIn(b"\r\n LANG EN*\r\n", feat)
        self.assertEqual(lang, b"214 Syntax: LANG [<sp> language-tag]\r\n")
        self.assertEqual(clnt, b"214 Syntax: CLNT <sp> client-name\r\n")
