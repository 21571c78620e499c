"""
L{ftpkit.control.handlers.unique.candidateName}: the names C{STOU}
tries, in order, then random.
"""

from twisted.trial import unittest

from ftpkit.control.handlers.unique import STOU_ATTEMPTS, candidateName


class CandidateNameTests(unittest.TestCase):
    """
    L{candidateName}.
    """

    def test_inOrderThenRandom(self):
        """
        C{.1} to C{.99}, then twelve hexadecimal digits from the token.
        """
        self.assertEqual(candidateName("f", 1), "f.1")
        self.assertEqual(candidateName("f", STOU_ATTEMPTS - 1), "f.99")
        self.assertEqual(candidateName("f", STOU_ATTEMPTS,
                                       lambda size: "ab" * size),
                         "f." + "ab" * 6)
        self.assertRegex(candidateName("f", STOU_ATTEMPTS),
                         r"\Af\.[0-9a-f]{12}\Z")

