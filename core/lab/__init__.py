"""The training lab: a real nn.Sequential trained live on 2-D data, with the other lessons'
registries plugged in (plug.py is the one place that reads them)."""
