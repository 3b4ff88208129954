"""Image generation: a registry of backends, per-image seeds, the work plan, resumable runs."""
