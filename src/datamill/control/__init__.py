"""Seeing and steering jobs from outside: monitor, stopper, job list."""
