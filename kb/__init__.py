"""PolicyKB knowledge base: policies, interpretations, FAQ, passages, search and answers."""
