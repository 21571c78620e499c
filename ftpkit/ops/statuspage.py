"""
The HTTP side of C{--metrics ENDPOINT}: C{/metrics} (Prometheus text) and
C{/sessions} (who is connected, JSON) on a C{twisted.web} site,
read-only.
"""

import json

from twisted.web.resource import Resource
from twisted.web.server import Site


class MetricsPage(Resource):
    """
    C{/metrics}: the registry's metrics in Prometheus' text format.
    """

    isLeaf = True

    def __init__(self, registry):
        """
        @param registry: a function returning the C{CollectorRegistry} to
            serve (in multiprocess mode, one made for each scrape).
        """
        Resource.__init__(self)
        self._registry = registry

    def render_GET(self, request):
        """
        @return: the metrics, as bytes.
        """
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode())
        return generate_latest(self._registry())


class SessionsPage(Resource):
    """
    C{/sessions}: the open sessions, as a JSON list of the records
    L{ftpkit.ops.who.sessionRecord} makes.
    """

    isLeaf = True

    def __init__(self, sessions):
        """
        @param sessions: a function returning the records.
        """
        Resource.__init__(self)
        self._sessions = sessions

    def render_GET(self, request):
        """
        @return: the records, as JSON bytes.
        """
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(self._sessions()).encode("utf-8") + b"\n"


class QuietSite(Site):
    """
    A L{Site} that writes no access log line: Prometheus scrapes every few
    seconds, and each request was a line of C{twisted.web}'s access log in
    the server's own log, among the session events (thousands a day).
    """

    def log(self, request):
        """
        Log nothing.

        @param request: the request that finished.
        """

    def logPrefix(self):
        """
        @return: C{"Site"}, as Twisted's own site is named in the log
            (C{Site starting on 9102}).
        """
        return "Site"


def makeSite(registry, sessions):
    """
    @param registry: see L{MetricsPage}.
    @param sessions: see L{SessionsPage}.
    @return: a L{QuietSite} serving C{/metrics} and C{/sessions}.
    """
    root = Resource()
    root.putChild(b"metrics", MetricsPage(registry))
    root.putChild(b"sessions", SessionsPage(sessions))
    site = QuietSite(root)
    site.noisy = False
    site.displayTracebacks = False
    return site
