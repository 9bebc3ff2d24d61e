"""llm-serving: generator and validation suite for the llm-serving Helm chart."""

# Version of every chart (umbrella and subcharts) and of this package; bump it here.
__version__ = "0.1.0"
