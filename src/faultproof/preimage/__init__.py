"""The preimage oracle: key types and the interface a VM uses to fetch preimages and pass hints."""
