"""
Whether this machine has an IPv6 loopback, for the tests that need one.
"""

import socket


def hasIPv6():
    """
    @return: whether ::1 can be bound on this machine.
    """
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False
