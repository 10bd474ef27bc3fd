"""综合考评: the evaluation of units, areas, supervisors and dispatchers, computed from the case timeline."""
