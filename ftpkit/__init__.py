"""
ftpkit: a Twisted-based, pluggable FTP server framework.
"""

__version__ = "0.1.0"
