"""Every write of the releases domain, one module per area; each public function is atomic and
audited (see core.domain)."""
