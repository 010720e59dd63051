#include "engine/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dfkd::host {
namespace {

void write_atomically(const std::filesystem::path& file, torch::serialize::OutputArchive& root) {
  std::filesystem::create_directories(file.parent_path());
  auto tmp = file;
  tmp += ".tmp";
  root.save_to(tmp.string());
  std::filesystem::rename(tmp, file);
}

// Parameter names hold dots, which archive keys use for nesting.
std::string mask_key(std::string name) {
  std::replace(name.begin(), name.end(), '.', ':');
  return name;
}

std::string mask_name(std::string key) {
  std::replace(key.begin(), key.end(), ':', '.');
  return key;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& file, const TrainState& s, int64_t epoch) {
  torch::serialize::OutputArchive root;
  root.write("epoch", torch::tensor(epoch));
  torch::serialize::OutputArchive student;
  s.student.module().save(student);
  root.write("student", student);
  if (s.generator) {
    torch::serialize::OutputArchive g;
    s.generator->module().save(g);
    root.write("generator", g);
  }
  for (auto& [name, module] : s.ctx.modules()) {
    torch::serialize::OutputArchive m;
    module->save(m);
    root.write("module." + name, m);
  }
  for (auto& o : s.ctx.optimizers()) {
    torch::serialize::OutputArchive a;
    o.optimizer->save(a);
    root.write("optimizer." + o.name, a);
  }
  if (s.batches) {
    const auto at = s.batches->position();
    if (at.order.defined()) root.write("batch_order", at.order);
    root.write("batch_cursor", torch::tensor(at.cursor, torch::kLong));
  }
  if (s.masks) {
    torch::serialize::OutputArchive masks;
    for (const auto& [name, mask] : *s.masks) masks.write(mask_key(name), mask);
    root.write("pruning_masks", masks);
  }
  write_atomically(file, root);
}

int64_t load_checkpoint(const std::filesystem::path& file, const TrainState& s,
                        const torch::Device& device) {
  try {
    torch::serialize::InputArchive root;
    root.load_from(file.string(), device);
    torch::Tensor epoch;
    root.read("epoch", epoch);
    torch::serialize::InputArchive student;
    root.read("student", student);
    s.student.module().load(student);
    if (s.generator) {
      torch::serialize::InputArchive g;
      root.read("generator", g);
      s.generator->module().load(g);
    }
    for (auto& [name, module] : s.ctx.modules()) {
      torch::serialize::InputArchive m;
      root.read("module." + name, m);
      module->load(m);
    }
    for (auto& o : s.ctx.optimizers()) {
      torch::serialize::InputArchive a;
      root.read("optimizer." + o.name, a);
      o.optimizer->load(a);
    }
    if (s.batches) {
      // Checkpoints written before the batch position was kept start a new pass.
      ShuffledBatches::Position at;
      torch::Tensor cursor;
      if (root.try_read("batch_cursor", cursor)) at.cursor = cursor.item<int64_t>();
      if (!root.try_read("batch_order", at.order)) at = {};
      s.batches->restore(std::move(at));
    }
    if (s.masks) {
      torch::serialize::InputArchive masks;
      root.read("pruning_masks", masks);
      s.masks->clear();
      for (const auto& key : masks.keys()) {
        torch::Tensor mask;
        masks.read(key, mask);
        (*s.masks)[mask_name(key)] = mask;
      }
    }
    return epoch.item<int64_t>();
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        fmt::format("checkpoint '{}' does not match this run ({}); delete it "
                    "to restart the run from epoch 0",
                    file.string(), e.what_without_backtrace()));
  }
}

void save_weights(const std::filesystem::path& file, torch::nn::Module& module) {
  torch::serialize::OutputArchive root;
  module.save(root);
  write_atomically(file, root);
}

void load_weights(const std::filesystem::path& file, torch::nn::Module& module,
                  const torch::Device& device) {
  try {
    torch::serialize::InputArchive root;
    root.load_from(file.string(), device);
    module.load(root);
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("cannot load weights from '{}': {}", file.string(),
                                         e.what_without_backtrace()));
  }
}

}  // namespace dfkd::host
