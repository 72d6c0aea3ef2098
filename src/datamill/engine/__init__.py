"""The partition function and the commit protocol it ends with."""
