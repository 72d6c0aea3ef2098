"""Recipes: typed models and the loader that builds them."""

from datamill.config.loader import load_recipe, parse_overrides
from datamill.config.models import Recipe

__all__ = ["Recipe", "load_recipe", "parse_overrides"]
