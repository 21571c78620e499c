"""
The HTTP side of C{--metrics ENDPOINT}: C{/metrics} (Prometheus text) on
a C{twisted.web} site, read-only.
"""

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


def makeSite(registry):
    """
    @param registry: see L{MetricsPage}.
    @return: a L{Site} serving C{/metrics}.
    """
    root = Resource()
    root.putChild(b"metrics", MetricsPage(registry))
    site = Site(root)
    site.noisy = False
    site.displayTracebacks = False
    return site
