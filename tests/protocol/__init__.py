"""
Protocol tests: a session driven over Twisted's StringTransport, no real
sockets.
"""
