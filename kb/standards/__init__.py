"""National standards both the knowledge base and push use: GB/T 4754-2017 industry codes."""
