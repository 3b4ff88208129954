"""Controlled studies on shapes-ao: NMI-targeted training splits, small open_clip training, evaluation, summaries."""
