"""The field's standard compositionality benchmarks (SugarCrepe, ARO, VALSE, Winoground, ...): loaders, protocols, metadata."""
