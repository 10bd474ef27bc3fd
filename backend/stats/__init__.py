"""Statistics for the command centre: the overdue board, the open-case map and the heatmap."""
