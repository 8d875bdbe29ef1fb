"""Built-in strategies: `baseline` (each intent alone, single path, no netting) and `milp`."""
