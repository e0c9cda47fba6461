"""How a score meets a threshold, and how both are written (the rule is in docs/metrics.md, "Scores and
thresholds"). Imports no torch: `fakeid.predict exported=` uses it without.

A score is the detector's probability of fake: a float32 from the network, or for `crop=tiles` the float64
mean of float32 tile scores. A threshold is a float64: a calibrated one is the midpoint of two neighbouring
validation scores, which no float32 holds. An image is called fake when `score >= threshold` compared in
float64: widening a float32 is exact, so the comparison is exact and the midpoint lies strictly between the
two scores it separates (in float32 it would round onto one of them and call both alike).

Scores and thresholds are written as the shortest decimal that reads back, as float64, to their exact value
(Python's repr): whoever reads a CSV or JSON file with float() or pandas recomputes every verdict and metric
exactly, and read as float32 a score comes back bit-equal. (Nine significant digits round-trip a float32 only
when read as float32; read as float64 they can fall on the other side of a threshold.)
"""

from __future__ import annotations


def called_fake(score: float, threshold: float) -> bool:
    """The verdict rule: `score >= threshold`, both in float64 (Python floats)."""
    return float(score) >= float(threshold)


def number_text(value: float) -> str:
    """A score or threshold as written to every CSV and report: its exact float64 value, shortest form."""
    return repr(float(value))
