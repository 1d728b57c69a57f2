"""Package data for core.

meeting-guide-types.json and meeting-guide-types-proposed.json are copied unchanged from
code4recovery/spec (MIT licence, notice in meeting-guide-types.LICENSE). types_extra.json is
stepbot's own: shared concepts, the NA / generic / per-fellowship catalogues and the code-to-concept
mapping of the Meeting Guide codes.
"""
