// Plain cross-entropy training on real labelled data: teachers and real-data student baselines.
#include <dfkd/sdk.hpp>

namespace dfkd_supervised {

class Supervised : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Supervised training of the student with cross-entropy on the real training set";
    info.options = {
        dfkd::option_string("optimizer", "sgd", "optimizer of the student", {"sgd", "adam"}),
        dfkd::option_real("lr", 0.1, "learning rate").greater_than(0),
        dfkd::option_real("momentum", 0.9, "SGD momentum (unused by adam)").at_least(0).less_than(1),
        dfkd::option_real("weight_decay", 5e-4, "L2 weight decay").at_least(0),
    };
    info.method_traits.uses_training_data = true;
    return info;
  }

  explicit Supervised(const dfkd::Options& o)
      : optimizer_settings_{o.string("optimizer"), o.real("lr"), o.real("momentum"),
                            o.real("weight_decay")} {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizer_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), optimizer_settings_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    if (!ctx.train_data)
      throw std::logic_error("supervised: iteration: expected training data, found none");
    // The host switches to eval mode for evaluation; make sure BN/dropout train here.
    ctx.student.module().train();
    const dfkd::Batch batch = ctx.train_data->next();
    auto logits = ctx.student.forward(batch.x).logits;
    auto loss = torch::nn::functional::cross_entropy(logits, batch.y);
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    const double accuracy = logits.argmax(1).eq(batch.y).to(torch::kFloat64).mean().item<double>();
    return {{"loss_student", loss.item<double>()}, {"train_accuracy", accuracy}};
  }

 private:
  dfkd::OptimizerSettings optimizer_settings_;
  torch::optim::Optimizer* optimizer_ = nullptr;
};

}  // namespace dfkd_supervised

DFKD_PLUGIN(method, "supervised", "1.0.0", dfkd_supervised::Supervised)
