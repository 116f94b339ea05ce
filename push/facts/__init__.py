"""一企一档: yearly facts per firm (revenue, R&D, equipment investment, ...), imported by departments."""
