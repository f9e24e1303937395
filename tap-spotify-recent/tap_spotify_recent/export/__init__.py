"""Spotify's privacy export: the ``streaming_history`` stream's import.

``files`` finds the export's streaming-history files (a zip, a folder, one file) and reads
their entries one at a time, ``entries`` turns an entry of either format into a record with
its key, ``importer`` runs the import: files read before, repeated plays, malformed entries
and the state.
"""
