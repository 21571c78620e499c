"""
The C{ssl:} (implicit FTPS) C{--listen} descriptions, read as text: which
are (L{isImplicitTLS}, behind a C{haproxy:} prefix or not), what they may
say (L{checkImplicitArguments}), the C{tcp:} endpoint each listens on
(L{implicitAsTCP}: ftpkit's own TLS goes over it,
L{ftpkit.control.tls.implicitListener}) and the certificate and key files
they name (L{endpointFiles}, L{unreadCertificate}).
"""

from ftpkit.control.tlsfiles import realPath
from ftpkit.deploy.endpoints import splitEndpoint

_PROXIED = "haproxy:"
"""The prefix of a C{--listen} description behind a load balancer."""

_KEPT_SSL_ARGUMENTS = ("interface", "backlog")
"""What an C{ssl:} endpoint's description says about the socket itself;
the rest (key, certificate, method, ...) is TLS, which ftpkit decides."""

_READ_SSL_ARGUMENTS = ("port", "privateKey", "certKey")
"""The other arguments of an C{ssl:} endpoint ftpkit reads."""

_UNUSED_SSL_ARGUMENTS = ("sslmethod", "dhParameters")
"""Arguments of Twisted's C{ssl:} endpoint that ftpkit's TLS decides
itself (the versions offered, the key exchange): accepted, not read
(C{sslmethod} checked, L{checkMethod})."""


def checkMethod(description, value):
    """
    Refuse an C{ssl:} endpoint's C{sslmethod} that names no method of
    pyOpenSSL (C{TLS_METHOD}, C{SSLv23_METHOD}, C{TLSv1_2_METHOD}...),
    as Twisted's own C{ssl:} endpoint does: C{sslmethod=bogus} was taken
    without a word, although ftpkit's TLS decides the versions itself
    (C{--tls-allow-1.3}) and reads no method.

    @param description: the C{--listen} value, for the message.
    @param value: the C{sslmethod} given.
    @raise ValueError: saying so, when C{value} is no method's name.
    """
    from OpenSSL import SSL

    if not (value.endswith("_METHOD")
            and isinstance(getattr(SSL, value, None), int)):
        raise ValueError(
            f"bad endpoint {description!r}: sslmethod={value!r} is no "
            f"OpenSSL method (such as TLS_METHOD; not used: ftpkit's TLS "
            f"picks the versions, see --tls-allow-1.3)")


def checkImplicitArguments(description):
    """
    Refuse the arguments of an C{ssl:} endpoint that ftpkit would drop
    without a word: C{extraCertChain}, whose intermediate certificates
    clients then did not get (and failed to verify the server with), and
    any Twisted's C{ssl:} endpoint does not take, or takes by position
    past the port (a key file); and an C{sslmethod} Twisted's would refuse
    (L{checkMethod}).

    @param description: a C{--listen} value; anything but an C{ssl:}
        endpoint (behind C{haproxy:} or not) passes.
    @raise ValueError: saying which argument and why.
    """
    if not isImplicitTLS(description):
        return
    fields = splitEndpoint(_splitProxied(description)[1])[1:]
    for index, field in enumerate(fields):
        name, equals, value = field.partition("=")
        if not equals and index == 0:
            continue
        if equals and name == "extraCertChain":
            raise ValueError(
                f"bad endpoint {description!r}: extraCertChain is not "
                f"used: put the intermediate certificates after the "
                f"certificate, in the certKey file (or the --tls-cert file)")
        if not equals or name not in (_KEPT_SSL_ARGUMENTS
                                      + _READ_SSL_ARGUMENTS
                                      + _UNUSED_SSL_ARGUMENTS):
            raise ValueError(f"bad endpoint {description!r}: ssl: takes no "
                             f"argument {name!r}")
        if name == "sslmethod":
            checkMethod(description, value)


def _splitProxied(description):
    """
    @return: C{(prefix, rest)}: C{"haproxy:"} (as written) or C{""}, and
        the endpoint behind it.
    """
    if description[:len(_PROXIED)].lower() == _PROXIED:
        return description[:len(_PROXIED)], description[len(_PROXIED):]
    return "", description


def isImplicitTLS(description):
    """
    @param description: a C{--listen} endpoint description.
    @return: whether it is an C{ssl:} (implicit FTPS) endpoint, behind a
        C{haproxy:} prefix or not.
    """
    return splitEndpoint(_splitProxied(description)[1])[0].lower() == "ssl"


def _escape(value):
    return value.replace("\\", "\\\\").replace(":", "\\:")


def implicitAsTCP(description):
    """
    The C{tcp:} endpoint an C{ssl:} (implicit FTPS) one listens on: the
    same port (990 when it names none), C{interface} and C{backlog}.

    @param description: a C{--listen} value.
    @return: for an C{ssl:} endpoint (behind C{haproxy:} or not), its
        C{tcp:} one, the prefix kept; any other is returned as it is.
    """
    if not isImplicitTLS(description):
        return description
    prefix, endpoint = _splitProxied(description)
    fields = splitEndpoint(endpoint)[1:]
    port, kept = "990", []
    for index, field in enumerate(fields):
        name, equals, value = field.partition("=")
        if not equals and index == 0:
            port = field
        elif name == "port":
            port = value
        elif name in _KEPT_SSL_ARGUMENTS:
            kept.append("%s=%s" % (name, _escape(value)))
    return prefix + ":".join(["tcp", port] + kept)


def _endpointArguments(description):
    """
    @param description: an C{ssl:} C{--listen} value.
    @return: its named arguments, a C{dict}.
    """
    endpoint = _splitProxied(description)[1]
    return dict(field.partition("=")[::2]
                for field in splitEndpoint(endpoint)[1:] if "=" in field)


def endpointFiles(description):
    """
    @param description: an C{ssl:} C{--listen} value.
    @return: C{(certificate, key)}: the files its C{certKey} and
        C{privateKey} name, as Twisted's C{ssl:} endpoint reads them: the
        key C{server.pem} where it names none, the certificate the key's
        file where it names none.
    """
    arguments = _endpointArguments(description)
    keyPath = arguments.get("privateKey") or "server.pem"
    return arguments.get("certKey") or keyPath, keyPath


def unreadCertificate(listens, certPath=None, keyPath=None):
    """
    Find an C{ssl:} endpoint naming a certificate or key the server would
    not read: the server has one, C{--tls-cert}'s (with C{--tls-key})
    when given, else the first C{ssl:} endpoint's; another endpoint's
    C{privateKey} and C{certKey} were dropped without a word, and its
    clients got a certificate it did not name.

    @param listens: the C{--listen} values.
    @param certPath: the C{--tls-cert} file, or C{None}.
    @param keyPath: the C{--tls-key} file, or C{None}.
    @return: why, naming the endpoint, or C{None} when every C{ssl:}
        endpoint names the server's files (by any path to them) or none.
    """
    implicit = [d for d in listens if isImplicitTLS(d)]
    if certPath:
        used, source = (certPath, keyPath or certPath), "--tls-cert"
    elif implicit:
        used, source = endpointFiles(implicit[0]), repr(implicit[0])
    else:
        return None
    used = [realPath(path) for path in used]
    for description in implicit:
        named = _endpointArguments(description).keys() & {"privateKey",
                                                           "certKey"}
        files = [realPath(p) for p in endpointFiles(description)]
        if named and files != used:
            return (f"{description!r} names a certificate or key that "
                    f"would not be read: every listener has {source}'s "
                    f"(name the same files, or none)")
    return None
