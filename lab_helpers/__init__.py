"""Helpers for the cross-account Amazon DataZone lab: config, sessions, state, AWS operations.

The notebooks call these; a data engineer can reuse them outside the notebooks. Every
function takes a boto3 session and works the same against AWS and the offline stand-in.
"""

__version__ = "0.1.0"
