"""
The C{ftp_VERB} handlers of L{ftpkit.server.FTPProtocol}, grouped by
concern into mixins.
"""
