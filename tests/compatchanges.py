"""
The loud message a test of L{ftpkit.compat} fails with when a private
Twisted or pyOpenSSL name ftpkit relies on changed (L{changed}).
"""

from OpenSSL import SSL

import twisted

_CHANGED = ("%s changed in Twisted %s / pyOpenSSL %s: update ftpkit.compat "
            "(the fallback keeps ftpkit working, more slowly or more "
            "strictly)")


def changed(what):
    """
    @param what: the name, as the message says it.
    @return: the loud message for a private name that changed.
    """
    return _CHANGED % (what, twisted.__version__, SSL.__version__
                       if hasattr(SSL, "__version__") else "?")
