"""Using a trained detector: expand inputs, score images (centre, whole or tiled), run ONNX / TorchScript files,
and export them. `fakeid.predict` and `fakeid.export` are the entry points; the ONNX path imports no torch."""
