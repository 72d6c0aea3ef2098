"""The demo: a C4-like sample dataset and a recipe of the built-in ops."""
