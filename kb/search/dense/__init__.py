"""Dense retrieval: sentence encoders, local model management and the faiss vector index."""
