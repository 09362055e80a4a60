"""Task modules: each wires data -> model -> loop -> evaluation for one task shape."""
