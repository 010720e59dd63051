// Plugin entry of the two_moons dataset; the class is in two_moons_dataset.cpp (tested directly).
#include "two_moons_dataset.hpp"

DFKD_PLUGIN(dataset, "two_moons", "1.0.0", dfkd_two_moons::TwoMoons)
