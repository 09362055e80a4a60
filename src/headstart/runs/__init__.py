"""Run directories: what a training run writes, atomically, and how it is read back."""
