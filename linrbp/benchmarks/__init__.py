"""Stand-alone benchmark scripts (run with python -m linrbp.benchmarks.NAME); `linrbp bench` is the main entry."""
