"""The composition root: paths, services, events, CLI and daemon lifecycle.

The only package that knows all the others and the only one that starts threads or processes.
"""
