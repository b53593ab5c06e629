"""Virtual animals: animal-to-animal parameter variability and one seed stream per animal."""
from .animals import AnimalSeeds, animal_seeds, animal_seeds_many
from .variability import Variability

__all__ = ["AnimalSeeds", "Variability", "animal_seeds", "animal_seeds_many"]
