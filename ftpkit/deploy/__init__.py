"""
Running ftpkit: the twistd plugin's options, the service builder for one
process and for C{--workers}, and the worker processes.
"""
