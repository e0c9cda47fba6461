"""Analysis of collected results: which test-set rows a statistic reads (`rows`), image-level resampling of
per-image scores (`bootstrap`), paired comparisons of sweep levels (`compare`), the power of a sweep (`power`)
and reliability diagrams (`calibration`). Everything here reads the collector's table and each run's
`scores.csv`; nothing trains or scores a model."""
