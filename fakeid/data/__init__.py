"""Data: find the folder layout, pick the category mix, decode images, serve batches."""
