#pragma once
/// Regularizer plugins add a weighted term to the generator's or the student's loss.
///
/// The experiment JSON composes them with a method (`"regularizers": [{"plugin": ..., "weight":
/// ..., "options": {...}}]`); the method asks the RegularizerSet for the weighted sum at its two
/// hook points. A negative weight flips a term's sign (maximise instead of minimise).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dfkd/generator.hpp"
#include "dfkd/model.hpp"

namespace dfkd {

enum class RegularizerStage { Generator, Student };
const char* to_string(RegularizerStage stage);

/// Distance between student and teacher logits that the method trains with (DFAD: mean L1).
using Discrepancy = std::function<torch::Tensor(const torch::Tensor& student_logits,
                                                const torch::Tensor& teacher_logits)>;

/// Inputs at the generator step: x = G(z) with its graph, and both networks' outputs on x.
struct GeneratorStepInputs {
  const torch::Tensor& x;
  const ModelOutput& teacher;
  const ModelOutput& student;
};

/// Inputs at a student step: x is detached, `teacher` was computed without grad. The frozen
/// teacher and the generator are there for terms that need another pass (a second generated
/// batch, teacher outputs on new inputs); run them under torch::NoGradGuard.
struct StudentStepInputs {
  const torch::Tensor& x;
  const ModelOutput& teacher;
  Model& student;
  const Discrepancy& discrepancy;
  torch::Generator& rng;
  Model* teacher_model = nullptr;
  Generator* generator = nullptr;
};

class Regularizer {
 public:
  virtual ~Regularizer();
  virtual RegularizerStage stage() const = 0;
  /// The unweighted term (a scalar); called only for the stage the regularizer declares.
  virtual torch::Tensor generator_term(const GeneratorStepInputs& in);
  virtual torch::Tensor student_term(const StudentStepInputs& in);
};

/// The regularizers of one run with their weights. Terms are logged as "reg_<name>".
class RegularizerSet {
 public:
  struct Entry {
    std::string name;
    double weight = 1.0;
    std::unique_ptr<Regularizer> regularizer;
  };

  RegularizerSet() = default;
  explicit RegularizerSet(std::vector<Entry> entries);
  RegularizerSet(RegularizerSet&&) noexcept;
  RegularizerSet& operator=(RegularizerSet&&) noexcept;
  ~RegularizerSet();

  bool empty() const { return entries_.empty(); }
  bool has(RegularizerStage stage) const;
  /// Σ weight·term over the generator-stage regularizers (a zero scalar if none); each
  /// unweighted term's value is written into `log`.
  torch::Tensor generator_loss(const GeneratorStepInputs& in, std::map<std::string, double>& log);
  torch::Tensor student_loss(const StudentStepInputs& in, std::map<std::string, double>& log);

 private:
  std::vector<Entry> entries_;
};

}  // namespace dfkd
