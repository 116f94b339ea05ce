"""What a policy is and how it gets in: readers, extraction, passages, ingestion, validity and versions."""
