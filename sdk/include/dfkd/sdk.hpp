#pragma once
/// Everything a plugin author needs.
#include "dfkd/dataset.hpp"
#include "dfkd/errors.hpp"
#include "dfkd/generator.hpp"
#include "dfkd/method.hpp"
#include "dfkd/model.hpp"
#include "dfkd/optim.hpp"
#include "dfkd/options.hpp"
#include "dfkd/plugin.hpp"
#include "dfkd/pruner.hpp"
#include "dfkd/random.hpp"
#include "dfkd/regularizer.hpp"
#include "dfkd/training.hpp"
