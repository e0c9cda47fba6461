"""Speed: fakeid.bench's parts and reference unit, and make demo's timing."""
