"""
The log events of C{ABOR} that arrives once a transfer's data is all
moved (L{tests.integration.test_abortcommit}): the transfer stored or
sent is one C{transfer} event saying C{226}, with every byte.
"""

from twisted.internet import defer

from tests.integration import test_abortcommit as base
from tests.logevents import captureLogs


def transfers(events):
    """
    @param events: log events.
    @return: the C{transfer} ones, as (command, code, bytes).
    """
    return [(event["command"], event["code"], event["bytes"])
            for event in events if event.get("ftpkit_event") == "transfer"]


class AbortCommitEventTests(base.AbortCommitTests):
    """
    L{AbortCommitTests}, checking the upload's one event.
    """

    @defer.inlineCallbacks
    def assertStored(self, command, **kwargs):
        events = captureLogs(self)
        yield base.AbortCommitTests.assertStored(self, command, **kwargs)
        self.assertEqual(transfers(events),
                         [(command.split()[0], 226, len(base.PAYLOAD))])


class AbortAfterLastByteEventTests(base.AbortAfterLastByteTests):
    """
    L{AbortAfterLastByteTests}, checking the download's one event.
    """

    @defer.inlineCallbacks
    def afterLastByte(self, command, expected, tls=False):
        events = captureLogs(self)
        result = yield base.AbortAfterLastByteTests.afterLastByte(
            self, command, expected, tls)
        if command.startswith("RETR"):
            self.assertEqual(transfers(events), [("RETR", 226, expected)])
        return result
