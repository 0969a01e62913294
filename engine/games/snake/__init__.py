"""Snake: computer-controlled players."""
