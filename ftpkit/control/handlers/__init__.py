"""
The C{ftp_VERB} handlers of L{ftpkit.control.server.FTPProtocol}, grouped by
concern into mixins.

Every handler is documented by one convention, not field by field: C{ftp_VERB}
takes the command's argument (text, C{""} when none) and returns its reply,
a C{(code, text)} tuple (C{None} when it replied itself), or is a coroutine
giving one; an L{ftpkit.errors.FTPError} it raises is the reply instead
(L{ftpkit.control.commandrunning}). Its docstring says what the command does.
"""
