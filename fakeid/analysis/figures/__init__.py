"""The figures drawn from results tables: the study's (Figs 1-3), Fig R and Fig A."""
