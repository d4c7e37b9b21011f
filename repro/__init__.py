"""Claim-reproduction engine for Phang et al. (2020), X-STILTs on XTREME."""
