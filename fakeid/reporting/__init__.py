"""The study report (`python -m fakeid.report`): a static site of a sweep's figures, tables and mistakes."""
