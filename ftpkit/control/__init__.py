"""
The control connection: the protocol (a C{LineReceiver}), its command
handlers, TLS on the control channel, session limits, virtual hosts and
the PROXY-protocol front.
"""
