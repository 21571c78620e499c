"""
C{HEAD} requests to the C{--metrics} endpoint: answered as C{GET} is,
without the body and without a line in the server's log.

Found and left (session 30's sweep of the operating surfaces): under
C{--workers}, C{ftpkit_sessions} on C{/metrics}, scraped right after the
last of four clients had closed its connection, said 1 where one process
said 0, and 0 in a run that waited three seconds (no count lost); traced
since: workers write the gauge at the session's end, with no periodic
report, and that scrape raced the worker's reading of the client's close,
by milliseconds (documented in C{docs/monitoring.rst};
C{test_workersSessionGaugePrompt} in L{tests.integration.test_metrics}
asks for 0 within a second).
"""

import re

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.ops.statuspage import makeSite
from tests.unit.test_statuspage import get


def head(site, path, host=b"127.0.0.1"):
    """
    Send C{HEAD path} to C{site} on a L{StringTransport}.

    @return: the raw response.
    """
    return get(site, path, host, b"HEAD")


class MetricsHeadTests(unittest.TestCase):
    """
    A C{HEAD} request to the C{--metrics} endpoint (an uptime probe, a
    load balancer's health check) is answered without a line in the
    server's log, whose requests are not logged: each was a line of
    C{twisted.web}'s (C{Warning: HEAD request <Request at 0x...> for
    resource <...MetricsPage object at 0x...> is returning a message body.
    I think I'll eat it.}), which anyone reaching the endpoint could
    repeat at will.
    """

    def setUp(self):
        from prometheus_client import CollectorRegistry, Counter

        registry = CollectorRegistry()
        Counter("probes", "Probes.", registry=registry).inc()
        self.site = makeSite(lambda: registry, lambda: [])
        self.site.timeOut = None
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)

    def test_noLogLine(self):
        """
        C{HEAD} of each page, of one that does not exist and of
        C{/sessions} by another name logs nothing, and gets the status
        and headers its C{GET} gets (the length of the body included),
        without the body.
        """
        for path, host, status in [(b"/metrics", b"127.0.0.1", b"200"),
                                   (b"/sessions", b"127.0.0.1", b"200"),
                                   (b"/nope", b"127.0.0.1", b"404"),
                                   (b"/sessions", b"evil.example", b"421")]:
            response = head(self.site, path, host)
            headers, _, body = response.partition(b"\r\n\r\n")
            self.assertTrue(headers.startswith(b"HTTP/1.1 " + status),
                            response)
            self.assertEqual(body, b"")
            self.assertRegex(headers, rb"(?i)content-length: [1-9]")
        self.assertEqual([formatEvent(event) for event in self.logged], [])

    def test_metricsLength(self):
        """
        The length C{HEAD /metrics} gives is the length of the metrics
        C{GET} sends.
        """
        from prometheus_client import generate_latest

        response = head(self.site, b"/metrics")
        length = re.search(rb"(?i)content-length: (\d+)", response).group(1)
        self.assertEqual(int(length), len(
            generate_latest(self.site.resource.children[b"metrics"]
                            ._registry())))
