"""What every TheFirstTake service needs, and no domain logic."""
