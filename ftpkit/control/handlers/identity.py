"""
Commands by which client and server tell each other of themselves: SYST
CLNT CSID LANG.
"""

from ftpkit.protocol.clientid import (
    CSID_IDENTITY,
    cleanClientName,
    parseCSID,
    parseLANG,
)


class IdentityCommands:
    """
    The system type, the client's name, the language of replies.

    @ivar clientName: the name the client gave with C{CLNT} or C{CSID},
        cleaned (L{cleanClientName}), or C{None}.
    """

    sessionFields = frozenset()
    clientName = None

    def ftp_SYST(self, argument):
        """
        Name the system type, as Unix servers do.
        """
        return (215, "UNIX Type: L8")

    def ftp_CLNT(self, argument):
        """
        Note the name the client gives itself (ProFTPD's C{CLNT}), cleaned
        and cut short (L{cleanClientName}), for the operators' session
        list; before login too. It belongs to the connection: C{REIN}
        keeps it.
        """
        self.clientName = cleanClientName(argument)
        return (200, "OK")

    def ftp_CSID(self, argument):
        """
        Note the name and version the client gives itself (Serv-U's
        C{CSID}, which WinSCP sends where C{FEAT} lists it) as C{CLNT}
        notes its name (L{parseCSID}), and tell the server's identity in
        the same form (L{CSID_IDENTITY}); before login too.
        """
        self.clientName = parseCSID(argument)
        return (200, CSID_IDENTITY)

    def ftp_LANG(self, argument):
        """
        Choose the language of replies (RFC 2640): only English is
        spoken here (L{parseLANG}), C{504} for any other.
        """
        return (200, "Using language " + parseLANG(argument))
