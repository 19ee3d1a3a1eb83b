"""Presentation shared by the CLI, the API and the demo: charts (PNG/SVG) and the
self-contained HTML monitoring report. Renders views; reads and writes nothing else."""
