"""The intake pipeline: guard -> read -> recognise -> normalise -> verify -> dedup, one sheet at a time, in chunks.

Plain functions over pandas frames; no ORM here. The web upload, the API and `manage.py import_workbook` all call
`collection.services` which drives this pipeline (see types.py for what flows between the stages).
"""
