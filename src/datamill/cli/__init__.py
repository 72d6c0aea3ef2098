"""The ``datamill`` command line."""
