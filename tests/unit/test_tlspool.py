"""
Tests for L{ftpkit.control.tlspool}: which contexts are kept for later
control connections. (That a kept context resumes none of the sessions it
cached before is in L{tests.integration.test_tls_contexts}.)
"""

import itertools

from OpenSSL import SSL
from twisted.trial import unittest

from ftpkit import compat
from ftpkit.control.tlspool import ContextPool, sessionContextNames


class ContextPoolTests(unittest.SynchronousTestCase):
    """
    L{ContextPool} hands each context to one control connection at a time.
    """

    def setUp(self):
        self.made = []
        self.renamed = []
        rename = compat.renameSessionContext

        def renameSessionContext(context, name):
            self.renamed.append((context, name))
            return rename(context, name)
        self.patch(compat, "renameSessionContext", renameSessionContext)

    def make(self):
        context = SSL.Context(SSL.TLS_METHOD)
        self.made.append(context)
        return context

    def test_newWhenNoneKept(self):
        """
        With nothing given back, each control connection gets a new
        context.
        """
        pool = ContextPool(self.make)
        first, second = pool.take(), pool.take()
        self.assertIsNot(first, second)
        self.assertEqual(self.made, [first, second])

    def test_keptRenamed(self):
        """
        A context given back is renamed (a new name each time) and serves
        the next control connection.
        """
        pool = ContextPool(self.make)
        context = pool.take()
        pool.give(context)
        self.assertIs(pool.take(), context)
        pool.give(context)
        self.assertEqual(len(self.made), 1)
        names = [name for _, name in self.renamed]
        self.assertEqual(len(names), 2)
        self.assertNotEqual(names[0], names[1])
        self.assertLessEqual(len(names[0]), 32)

    def test_givenTwice(self):
        """
        A context given back twice is kept once: it never serves two
        control connections at a time.
        """
        pool = ContextPool(self.make)
        context = pool.take()
        pool.give(context)
        pool.give(context)
        self.assertIs(pool.take(), context)
        self.assertIsNot(pool.take(), context)

    def test_strangerIgnored(self):
        """
        A context the pool did not hand out is not kept.
        """
        pool = ContextPool(self.make)
        pool.give(SSL.Context(SSL.TLS_METHOD))
        self.assertEqual(self.renamed, [])
        pool.take()
        self.assertEqual(len(self.made), 1)

    def test_reuses(self):
        """
        A context serves C{reuses} control connections, then is dropped
        (with the sessions it cached).
        """
        pool = ContextPool(self.make, reuses=2)
        context = pool.take()
        pool.give(context)
        self.assertIs(pool.take(), context)
        pool.give(context)
        self.assertIsNot(pool.take(), context)

    def test_size(self):
        """
        At most C{size} contexts are kept.
        """
        pool = ContextPool(self.make, size=1)
        first, second = pool.take(), pool.take()
        pool.give(first)
        pool.give(second)
        self.assertIs(pool.take(), first)
        self.assertNotIn(pool.take(), (first, second))

    def test_notRenamed(self):
        """
        A context that cannot be renamed (a pyOpenSSL that no longer lets
        ftpkit reach it) is not kept.
        """
        self.patch(compat, "renameSessionContext", lambda context, name: False)
        pool = ContextPool(self.make)
        context = pool.take()
        pool.give(context)
        self.assertIsNot(pool.take(), context)


class SessionContextNamesTests(unittest.SynchronousTestCase):
    """
    L{sessionContextNames} counts the names a kept context is given.
    """

    def test_distinctBoundedNotHexadecimal(self):
        """
        Each name is new, within OpenSSL's 32 bytes even at a count no
        process reaches, and never hexadecimal alone, as the name Twisted
        gives a context first is.
        """
        names = list(itertools.islice(sessionContextNames(), 1000))
        self.assertEqual(len(set(names)), 1000)
        self.assertLessEqual(len(b"ftpkit-kept-%d" % 2 ** 64), 32)
        for name in names:
            self.assertIsInstance(name, bytes)
            self.assertFalse(all(c in b"0123456789abcdef" for c in name))
