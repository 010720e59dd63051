// Test-only method: one supervised step, then `sleep_seconds` of sleep, standing in for the long
// iterations of real data-free methods (a DFAD step at batch 256 takes seconds). Before its first
// sleep it creates `started.<pid>` in the working directory, so a test knows a worker is inside an
// iteration. Loaded only by tests (DFKD_PLUGIN_PATH), never installed.
#include <unistd.h>
#include <dfkd/sdk.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace dfkd_slow {

class SlowSupervised : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Test plugin: a supervised step followed by a sleep";
    info.options = {dfkd::option_real("sleep_seconds", 30.0, "sleep after each step")};
    info.method_traits.uses_training_data = true;
    return info;
  }

  explicit SlowSupervised(const dfkd::Options& o) : sleep_seconds_(o.real("sleep_seconds")) {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizer_ = &ctx.add_optimizer(
        "student",
        dfkd::make_optimizer(ctx.student.module().parameters(), {"sgd", 0.01, 0.0, 0.0}));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    const dfkd::Batch batch = ctx.train_data->next();
    auto loss = torch::nn::functional::cross_entropy(ctx.student.forward(batch.x).logits, batch.y);
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    std::ofstream("started." + std::to_string(getpid())) << "in an iteration\n";
    std::this_thread::sleep_for(std::chrono::duration<double>(sleep_seconds_));
    return {{"loss_student", loss.item<double>()}};
  }

 private:
  double sleep_seconds_;
  torch::optim::Optimizer* optimizer_ = nullptr;
};

}  // namespace dfkd_slow

DFKD_PLUGIN(method, "slow_supervised", "1.0.0", dfkd_slow::SlowSupervised)
