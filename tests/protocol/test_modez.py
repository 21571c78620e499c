"""
C{MODE Z} on the control connection (draft-preston-ftpext-deflate, as
ProFTPD's mod_deflate answers it): C{MODE Z} and C{MODE S} switch, the
level is C{OPTS MODE Z LEVEL n}'s, C{FEAT}, C{HELP} and C{STAT} tell it,
C{REIN} goes back to C{MODE S}; C{MODE B} and C{C} stay C{504}. Only
where the server offers it (C{--mode-z}): by default C{MODE Z} is
C{504}, and C{FEAT} does not list it.
"""

from twisted.trial import unittest

from tests.barerealm import bareFactory, loggedIn


def session(*commands, modeZ=True):
    """
    @param commands: command lines, without their ends, sent by alice
        logged in on a L{tests.barerealm.BareRealm}.
    @param modeZ: whether the server offers C{MODE Z} (C{--mode-z}).
    @return: C{(replies, session)}: the reply lines, and the protocol's
        L{ftpkit.protocol.sessionstate.Session} after them.
    """
    protocol, transport = loggedIn(bareFactory(modeZ=modeZ))
    protocol.dataReceived(b"".join(each + b"\r\n" for each in commands))
    return transport.value().split(b"\r\n")[:-1], protocol.session


class ModeZTests(unittest.TestCase):
    """
    The commands of C{MODE Z}.
    """

    def test_switch(self):
        """
        C{MODE Z} sets the session's deflate level, C{MODE S} clears it.
        """
        replies, state = session(b"MODE Z")
        self.assertEqual(replies, [b"200 Mode set to Z"])
        self.assertEqual(state.deflate, 6)
        replies, state = session(b"MODE z", b"MODE S")
        self.assertEqual(replies[-1], b"200 Mode set to S")
        self.assertIsNone(state.deflate)

    def test_level(self):
        """
        C{OPTS MODE Z LEVEL n} sets the level, kept across C{MODE S} and
        used by the next C{MODE Z}; in C{MODE Z} it applies at once.
        """
        replies, state = session(b"OPTS MODE Z LEVEL 9", b"MODE S",
                                 b"MODE Z")
        self.assertEqual(replies[0], b"200 OPTS MODE Z OK: level 9")
        self.assertEqual(state.deflate, 9)
        _, state = session(b"MODE Z", b"OPTS MODE Z LEVEL 1")
        self.assertEqual(state.deflate, 1)
        _, state = session(b"OPTS MODE Z LEVEL 1", b"OPTS MODE Z", b"MODE Z")
        self.assertEqual(state.deflate, 6)

    def test_badOptions(self):
        """
        Other C{OPTS MODE} arguments get C{501} and change nothing.
        """
        replies, state = session(
            b"OPTS MODE Z LEVEL 10", b"OPTS MODE Z BLOCKSIZE 1024",
            b"OPTS MODE Z ENGINE zlib", b"OPTS MODE S", b"OPTS MODE",
            b"OPTS MODE Z LEVEL")
        self.assertEqual([reply[:4] for reply in replies], [b"501 "] * 6)
        self.assertEqual(state.deflateLevel, 6)

    def test_otherModes(self):
        """
        C{MODE B} and C{MODE C} stay C{504}, nonsense C{501}; the mode is
        unchanged.
        """
        replies, state = session(b"MODE Z", b"MODE B", b"MODE C", b"MODE X")
        self.assertEqual([reply[:4] for reply in replies],
                         [b"200 ", b"504 ", b"504 ", b"501 "])
        self.assertEqual(state.deflate, 6)

    def test_reinitialize(self):
        """
        C{REIN} goes back to C{MODE S} and the default level.
        """
        _, state = session(b"OPTS MODE Z LEVEL 2", b"MODE Z", b"REIN")
        self.assertIsNone(state.deflate)
        self.assertEqual(state.deflateLevel, 6)

    def test_advertised(self):
        """
        C{FEAT} lists C{MODE Z}; C{HELP MODE} names it; C{STAT} says which
        mode is in force.
        """
        replies, _ = session(b"FEAT", b"HELP MODE", b"STAT", b"MODE Z",
                             b"OPTS MODE Z LEVEL 3", b"STAT")
        self.assertIn(b" MODE Z", replies)
        self.assertIn(b"214 Syntax: MODE <sp> S | Z", replies)
        statusLines = [line for line in replies if b"MODE: " in line]
        self.assertEqual(len(statusLines), 2)
        self.assertTrue(statusLines[0].endswith(b"MODE: Stream"))
        self.assertTrue(statusLines[1].endswith(b"MODE: Deflate (level 3)"))

    def test_notOffered(self):
        """
        By default (no C{--mode-z}) C{FEAT} does not list C{MODE Z}, C{HELP
        MODE} and C{MODE}'s C{501} name C{S} alone, C{MODE Z} gets C{504}
        and C{OPTS MODE Z} C{501}, both changing nothing; C{MODE S} works.
        """
        replies, state = session(
            b"FEAT", b"HELP MODE", b"MODE", b"MODE Z", b"OPTS MODE Z LEVEL 9",
            b"MODE S", modeZ=False)
        self.assertNotIn(b" MODE Z", replies)
        self.assertIn(b"214 Syntax: MODE <sp> S", replies)
        self.assertIn(b"501 Syntax: MODE <sp> S", replies)
        self.assertEqual(replies[-3:], [
            b"504 MODE Z is not offered on this server",
            b"501 MODE Z is not offered on this server",
            b"200 Mode set to S"])
        self.assertIsNone(state.deflate)
        self.assertEqual(state.deflateLevel, 6)
