"""
The HTTP side of C{--metrics ENDPOINT}: C{/metrics} (Prometheus text) and
C{/sessions} (who is connected, JSON) on a C{twisted.web} site,
read-only; C{/sessions} to requests naming it by address or C{localhost}
(L{ftpkit.ops.hostcheck}), from clients on other machines or running as
the server's user or root (L{ftpkit.ops.peeruser}).
"""

import json

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from ftpkit.ops.hostcheck import allowedHost
from ftpkit.ops.peeruser import mayReadSessions


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
        @param request: the request.
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
        @param request: the request.
        @return: the records, as JSON bytes.
        """
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(self._sessions()).encode("utf-8") + b"\n"


class MisdirectedPage(Resource):
    """
    The answer to a request whose C{Host} header names another site
    (L{ftpkit.ops.hostcheck.allowedHost}): C{421 Misdirected Request}.
    """

    isLeaf = True

    def render(self, request):
        """
        @param request: the request.
        @return: a short text saying which names are answered.
        """
        request.setResponseCode(421, b"Misdirected Request")
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return (b"Misdirected request: name this endpoint by its address, "
                b"localhost or its interface name\n")


class ForbiddenPage(Resource):
    """
    The answer to a client of this machine that runs as neither the
    server's user nor root (L{ftpkit.ops.peeruser.mayReadSessions}):
    C{403 Forbidden}.
    """

    isLeaf = True

    def render(self, request):
        """
        @param request: the request.
        @return: a short text saying who may read the page.
        """
        request.setResponseCode(403, b"Forbidden")
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return (b"Forbidden: on this machine, only the server's user and "
                b"root may read this page\n")


class HeadersOnly(Resource):
    """
    A page's answer to C{HEAD}: the status and headers of its C{GET}, the
    length of the body included, without the body (C{twisted.web} sends
    none to a C{HEAD}). Left to C{twisted.web}, each C{HEAD} with a body
    to leave out was a line in the server's log (C{Warning: HEAD request
    <Request at 0x...> ... is returning a message body. I think I'll eat
    it.}), one per uptime probe or health check, and as many as anyone
    reaching the endpoint asked for.
    """

    isLeaf = True

    def __init__(self, page):
        """
        @param page: the page asked for (which renders C{HEAD} as C{GET},
            as L{Resource} does, or whatever the method).
        """
        Resource.__init__(self)
        self._page = page

    def render(self, request):
        """
        @param request: the C{HEAD} request.
        @return: C{NOT_DONE_YET}: the request is finished already.
        """
        body = self._page.render(request)
        request.setHeader(b"content-length", b"%d" % (len(body),))
        request.write(body)
        request.finish()
        return NOT_DONE_YET


class QuietSite(Site):
    """
    A L{Site} that writes no access log line: Prometheus scrapes every few
    seconds, and each request was a line of C{twisted.web}'s access log in
    the server's own log, among the session events (thousands a day); nor
    does a C{HEAD} (L{HeadersOnly}).
    """

    names = frozenset()
    readers = staticmethod(mayReadSessions)

    def getResourceFor(self, request):
        """
        @param request: the request.
        @return: the page asked for, or L{MisdirectedPage} when the
            request's C{Host} header names another site (a page using DNS
            rebinding to read C{/sessions} through a browser), or
            L{ForbiddenPage} when its client is on this machine and runs
            as another user than the server's or root (C{readers} says).
            C{/metrics} answers any C{Host} and client: it holds only
            counts, and Prometheus scrapes by whatever name its
            configuration gives. Either, for a C{HEAD}, in a
            L{HeadersOnly}.
        """
        if request.path == b"/metrics":
            page = Site.getResourceFor(self, request)
        elif not allowedHost(request.getHeader(b"host"), self.names):
            page = MisdirectedPage()
        elif not self.readers(request.transport):
            page = ForbiddenPage()
        else:
            page = Site.getResourceFor(self, request)
        if request.method == b"HEAD":
            return HeadersOnly(page)
        return page

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


def makeSite(registry, sessions, names=frozenset(), readers=None):
    """
    @param registry: see L{MetricsPage}.
    @param sessions: see L{SessionsPage}.
    @param names: the names besides addresses and C{localhost} a request's
        C{Host} header may give (L{ftpkit.deploy.endpoints.endpointNames}).
    @param readers: given a request's transport, whether its client may
        read C{/sessions}; L{mayReadSessions} when C{None}.
    @return: a L{QuietSite} serving C{/metrics} and C{/sessions}.
    """
    root = Resource()
    root.putChild(b"metrics", MetricsPage(registry))
    root.putChild(b"sessions", SessionsPage(sessions))
    site = QuietSite(root)
    site.names = names
    if readers is not None:
        site.readers = readers
    site.noisy = False
    site.displayTracebacks = False
    return site
