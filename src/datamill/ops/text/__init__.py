"""Built-in text ops, compatible with Data-Juicer's ops of the same names."""
