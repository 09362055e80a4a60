"""headstart: transfer learning for NLP on a laptop CPU."""

__version__ = "0.1.0"
