"""Helpers every layer of geoplan shares: atomic writes, text decoding, dates, planners' words.

Nothing here imports another geoplan package except ``geoplan._errors`` and
``geoplan.settings``.
"""
