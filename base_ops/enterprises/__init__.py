"""Partner enterprises (合作企业)."""
