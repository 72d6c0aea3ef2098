"""Models and word lists that some ops need: where they live, how they arrive,
and how each worker process loads them once."""

from datamill.models.cache import MODEL_DIR_ENV, ModelUnavailable, fetch, model_dir
from datamill.models.loaded import load_once

__all__ = ["MODEL_DIR_ENV", "ModelUnavailable", "fetch", "load_once", "model_dir"]
