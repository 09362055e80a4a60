"""Deployment: compressed formats (int8, ONNX), the HTTP server and models as wheels.

Everything here reads run directories the core writes; a compressed run is itself a
run directory whose ``headstart.yaml`` names its format under ``deploy.format``.
"""
