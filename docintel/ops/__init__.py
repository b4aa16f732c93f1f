"""Operators' surfaces: health and readiness for load balancers, Prometheus metrics, JSON logs, and the
backup and restore commands."""
