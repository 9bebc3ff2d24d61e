"""llm-serving: generator and validation suite for the llm-serving Helm chart."""

# The one version of every chart (umbrella and subcharts) and of this package, SemVer. Bump it here
# by the rule in README.md ("Upgrade"), add its section to CHANGELOG.md, run `llm-serving generate`.
__version__ = "0.2.0"
