"""
Tests for L{ftpkit.control.tlslayer.layerFactory}: one layer factory per
context factory, which does not keep the context factory alive.
"""

import gc
import os
import weakref

from twisted.trial import unittest

from ftpkit.control import tlslayer
from ftpkit.control.tls import makeContextFactory
from tests.tlssupport import makeCertificate


class LayerFactoryTests(unittest.TestCase):
    """
    L{tlslayer.layerFactory} for C{AUTH TLS}.
    """

    def setUp(self):
        directory = os.path.abspath(self.mktemp())
        os.mkdir(directory)
        self.cert, self.key, _ = makeCertificate(directory)

    def test_onePerContextFactory(self):
        """
        A context factory gets the same layer factory each time.
        """
        contextFactory = makeContextFactory(self.cert, self.key)
        self.assertIs(tlslayer.layerFactory(contextFactory),
                      tlslayer.layerFactory(contextFactory))

    def test_contextFactoryReleased(self):
        """
        The cached layer factory does not keep its context factory (and
        its contexts) alive once the server dropped it: it did, for the
        rest of the process, one more with every server started.
        """
        contextFactory = makeContextFactory(self.cert, self.key)
        tlslayer.layerFactory(contextFactory)
        released = weakref.ref(contextFactory)
        del contextFactory
        gc.collect()
        self.assertIsNone(released())
