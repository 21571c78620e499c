"""
Tests for L{ftpkit.deploy.sweepservice.sweptRoots}: the directories the
sweep at start walks.
"""

from twisted.trial import unittest

from ftpkit.deploy.sweepservice import sweptRoots


class _Realm:
    """
    A realm naming the roots of its users' uploads.
    """

    def __init__(self, roots):
        self._roots = roots

    def sweptRoots(self):
        """
        @return: the roots given.
        """
        return self._roots


class _Rooted:
    """
    A realm with a C{root} only.
    """

    def __init__(self, root):
        self.root = root


class SweptRootsTests(unittest.TestCase):
    """
    Each directory once, none inside another, in the order named.
    """

    def test_insideAndRepeated(self):
        """
        A root inside another, or named again, is left out; a sibling
        whose name starts with another's stays.
        """
        realm = _Realm(["/srv/b", "/srv/a", "/srv/a/u1", "/srv/ab",
                        "/srv/a", "/srv/a/u2/x"])
        self.assertEqual(sweptRoots([realm, _Rooted("/srv/b/c")]),
                         ["/srv/b", "/srv/a", "/srv/ab"])

    def test_slashCoversAll(self):
        """
        C{/} is every other root's parent.
        """
        self.assertEqual(sweptRoots([_Realm(["/srv/a", "/"])]), ["/"])

    def test_notLocal(self):
        """
        Relative paths, C{None} and an object store's root are no local
        directory.
        """
        self.assertEqual(
            sweptRoots([_Rooted(None), _Rooted("bucket/prefix"),
                        _Realm([b"/srv/bytes", "/srv/text"])]),
            ["/srv/bytes", "/srv/text"])

    def test_manyHomes(self):
        """
        Tens of thousands of homes under one root are told apart (each
        looked up among its parents, not compared with every other).
        """
        homes = ["/srv"] + [f"/srv/h{i // 100}/u{i}" for i in range(20000)]
        self.assertEqual(sweptRoots([_Realm(homes + ["/elsewhere"])]),
                         ["/srv", "/elsewhere"])
