"""
L{ftpkit.compat.logpublisher}: the list of observers of a
C{twisted.logger.LogPublisher} is still where it reads it (a failure
here means C{ftpkit.compat} must be updated), and its fallback holds.
"""

from twisted.logger import LogPublisher, globalLogPublisher
from twisted.trial import unittest

from ftpkit.compat.logpublisher import soleObserver
from tests.compatchanges import changed


class PrivateNamesTests(unittest.TestCase):
    """
    C{LogPublisher._observers} is the list of the publisher's observers,
    changed as they are added and removed.
    """

    def test_observers(self):
        first, second = [].append, [].append
        publisher = LogPublisher(first)
        self.assertEqual(publisher._observers, [first],
                         changed("LogPublisher._observers"))
        self.assertIs(soleObserver(publisher), first)
        publisher.addObserver(second)
        self.assertIsNone(soleObserver(publisher))
        publisher.removeObserver(first)
        self.assertIs(soleObserver(publisher), second)
        publisher.removeObserver(second)
        self.assertIsNone(soleObserver(publisher))

    def test_global(self):
        """
        The global publisher is a L{LogPublisher} itself (not a subclass),
        whose observers are read.
        """
        self.assertIs(type(globalLogPublisher), LogPublisher)
        observers = globalLogPublisher._observers
        self.assertIs(soleObserver(globalLogPublisher),
                      observers[0] if len(observers) == 1 else None)


class FallbackTests(unittest.TestCase):
    """
    A publisher whose observers cannot be read, a subclass, or anything
    else has no sole observer.
    """

    def test_unknown(self):
        publisher = LogPublisher([].append)
        del publisher._observers
        self.assertIsNone(soleObserver(publisher))

    def test_subclass(self):
        class Publisher(LogPublisher):
            pass

        self.assertIsNone(soleObserver(Publisher([].append)))

    def test_notAPublisher(self):
        self.assertIsNone(soleObserver([].append))
