"""
Data connections and how bytes move on them: the data channel a session
opens (PASV, EPSV, PORT, EPRT), the connections, TLS on them, and the
movers.
"""
