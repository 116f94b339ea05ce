"""Chinese text handling: normalisation, tokenisation, the policy-domain dictionary."""
