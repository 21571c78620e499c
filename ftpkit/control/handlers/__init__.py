"""
The C{ftp_VERB} handlers of L{ftpkit.control.server.FTPProtocol}, grouped by
concern into mixins.
"""
