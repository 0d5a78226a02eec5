"""Storage: cases (versioned), plans, simulation runs and API keys; knows nothing of HTTP."""
