"""The try block's content: sources, ingestion, chunking, search, and KB articles."""
