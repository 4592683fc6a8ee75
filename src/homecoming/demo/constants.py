"""Fixed facts of the demo center, shared by the builder and the CLI's help text."""

DEFAULT_RESIDENTS = 40
DEMO_PASSWORD = "homecoming-demo"
SEED = 1945
DEMO_DEVICE_NAME = "Demo authenticator (key published in the README)"
# The largest demo center the builder is tested to build (bench/ makes larger data its own way).
MAX_RESIDENTS = 500
