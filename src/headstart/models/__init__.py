"""Building models from base weights: tokenizer, backbone, task head."""
