"""
The pure core of the FTP protocol: parsing commands, formatting replies
and listings, paths, the command table, the session value and the access
rules, all data in and data out with no reactor.
"""
