"""Reports that read across push: the reach funnel of pushes to applications."""
