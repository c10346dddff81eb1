"""Pure rules of the fleet: printer binding, connectivity, command arguments."""
