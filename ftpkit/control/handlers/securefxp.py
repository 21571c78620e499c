"""
Secure FXP: C{SSCN} and C{CPSV}, with which a client copying a file
between two servers (FXP) has the data connection between them under
TLS. TLS needs a client and a server; both servers would otherwise be
TLS servers. C{SSCN ON} makes this server the TLS client of its data
connections, passive or active, until C{SSCN OFF} (ProFTPD's mod_tls);
C{CPSV} is C{PASV} whose data connection alone it makes as the TLS
client (lftp sends it, where C{FEAT} lists it, to the passive end of a
protected FXP copy, else C{SSCN ON} and C{PASV}).

As in ProFTPD, listings (C{LIST}, C{NLST}, C{MLSD}) are always made as
the TLS server: a client that left C{SSCN} on still reads them itself.
Like C{PROT}, the mode belongs to the connection: C{REIN} keeps it,
C{AUTH} clears it.
"""

from twisted.internet.ssl import TLSVersion

from ftpkit.control.handlers.datachannel import NO_ADDRESS
from ftpkit.data.tlsclient import clientDataTLS


class SecureFxpCommands:
    """
    C{SSCN} and C{CPSV}, and the TLS side of each transfer's data
    connection they decide (L{transferTLS}).

    @ivar tlsClientMode: C{SSCN ON} is in force.
    @ivar tlsClientNext: the passive listener waiting was opened by
        C{CPSV}: its data connection is made as the TLS client.
    """

    sessionFields = frozenset()
    tlsClientMode = False
    tlsClientNext = False

    def _secureFxpRefusal(self, verb):
        """
        @param verb: C{SSCN} or C{CPSV}.
        @return: the reply refusing the server's TLS client role here, or
            C{None} when it may be used.
        """
        if self.config.tlsContextFactory is None:
            return (502, "TLS is not configured on this server")
        if not (self.tls.controlSecure or self.tls.clearedContext is not None):
            return (503, "%s requires AUTH TLS first" % verb)
        if self.config.tlsRequireSessionReuse:
            # The other server cannot resume this client's TLS session.
            return (534, "%s is not allowed: data connections must resume "
                         "the control connection's TLS session" % verb)
        return None

    def ftp_SSCN(self, argument):
        """
        Set (C{ON}: client, C{OFF}: server) or tell the TLS side of the
        data connections, as ProFTPD's mod_tls answers it; C{ON} is
        refused to a client with no address (L{NO_ADDRESS}), which no
        data connection can come from.
        """
        mode = argument.strip().upper()
        if mode not in ("", "ON", "OFF"):
            return (501, "SSCN takes ON or OFF")
        refusal = self._secureFxpRefusal("SSCN")
        if refusal is not None and (mode == "ON" or refusal[0] != 534):
            return refusal
        if mode == "ON" and not self.clientHasAddress():
            # No data connection to be the TLS client of (a Unix socket's
            # client): refused, as HELP and FEAT leave SSCN out.
            return (425, NO_ADDRESS)
        if mode:
            self.tlsClientMode = mode == "ON"
        return (200, "SSCN:%s METHOD"
                % ("CLIENT" if self.tlsClientMode else "SERVER"))

    async def ftp_CPSV(self, argument):
        """
        C{PASV} whose data connection this server makes as the TLS
        client.
        """
        refusal = self._secureFxpRefusal("CPSV")
        if refusal is not None:
            return refusal
        reply = self.passive(argument, "CPSV")
        if not isinstance(reply, tuple):
            reply = await reply
        if reply[0] == 227:
            self.tlsClientNext = True
        return reply

    def transferTLS(self, listing=False):
        """
        The TLS of the data connection a transfer is about to take, which
        takes the C{CPSV} listener's role with it.

        @param listing: the transfer is a listing (always the TLS server).
        @return: what L{dataTLSContext} gives (C{None} in clear), or, in
            the TLS client role, an L{ftpkit.data.tlsclient.ClientDataTLS}.
        """
        client = (self.tlsClientMode or self.tlsClientNext) and not listing
        self.forgetClientNext()
        if not self.tls.protectData:
            # dataTLSContext's answer in clear, without the call.
            return None
        tls = self.dataTLSContext()
        if tls is None or not client:
            return tls
        factory = self.config.tlsContextFactory
        return clientDataTLS(getattr(factory, "maximumVersion",
                                     TLSVersion.TLSv1_2))

    def arrivalTLS(self):
        """
        The TLS of a passive connection that arrives before its transfer
        command (L{ftpkit.data.channel.DataChannel}'s C{dataTLS}): under
        C{PROT P} it is put under TLS at once, to answer its client's
        handshake; in the TLS client role, where the transfer decides
        (a listing is made as the server), it is kept as it is until the
        command, which then makes the handshake.

        @return: what L{dataTLSContext} gives, or C{None} in the client
            role.
        """
        if (self.tlsClientMode or self.tlsClientNext
                or not self.tls.protectData):
            # (In clear: dataTLSContext's answer, without the call; the
            # channel asks at every PASV and EPSV, and again when the
            # connection comes.)
            return None
        return self.dataTLSContext()

    def forgetClientNext(self):
        """
        The C{CPSV} listener's role is taken, or another data connection
        replaces it: the next one is made as C{SSCN} says. (Stored only
        when set: a session keeps its class's default otherwise, see
        C{tests.integration.test_sessionnames}.)
        """
        if self.tlsClientNext:
            self.tlsClientNext = False

    def clearSecureFxp(self):
        """
        An C{AUTH} cleared the security commands' state: back to the TLS
        server role (each stored only when set, as in
        L{forgetClientNext}).
        """
        if self.tlsClientMode:
            self.tlsClientMode = False
        self.forgetClientNext()

