"""Classic CSI scoring methods: simple method, C = b/a, dual evaluation, IPA, drivers, Kano.

Each module is a family of pure functions on a :class:`~csindex.survey.Survey` or a
DataFrame plus item names, returning an immutable result object with tidy DataFrames.
"""
