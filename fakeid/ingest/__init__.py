"""Turn public downloads (LSUN LMDB exports, CNNDetection trees, plain folders) into fakeid's data layout."""
