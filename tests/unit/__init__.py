"""
Unit tests: pure functions and single objects, no network and no
reactor-driven servers.
"""
