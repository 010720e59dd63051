// Fully connected classifier for low-dimensional data (two_moons); any input shape is flattened.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dfkd/sdk.hpp>

namespace dfkd_mlp {

/// input_dim -> hidden[0] -> ... -> hidden[n-1] -> num_classes; parameters named fc1..fcn, head.
class MlpNet : public torch::nn::Module {
 public:
  MlpNet(int64_t input_dim, const std::vector<int64_t>& hidden, int64_t num_classes) {
    int64_t in = input_dim;
    for (size_t i = 0; i < hidden.size(); ++i) {
      layers.push_back(
          register_module(fmt::format("fc{}", i + 1), torch::nn::Linear(in, hidden[i])));
      in = hidden[i];
    }
    head = register_module("head", torch::nn::Linear(in, num_classes));
  }

  std::vector<torch::nn::Linear> layers;
  torch::nn::Linear head{nullptr};
};

class Mlp : public dfkd::Model {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Multi-layer perceptron; taps hidden1..hiddenN and features (last hidden layer)";
    info.options = {
        dfkd::option_ints("hidden", {64, 64}, "widths of the hidden layers (at least one)")
            .non_empty()
            .at_least(1)
            .at_most(65536),
        dfkd::option_string("activation", "relu", "activation after each hidden layer",
                            {"relu", "tanh"}),
    };
    return info;
  }

  Mlp(const dfkd::Options& o, const dfkd::DataShape& shape)
      : tanh_(o.string("activation") == "tanh") {
    const auto hidden = o.integers("hidden");
    // Without a hidden layer there is no "features" tap for feature-based methods to read.
    if (hidden.empty())
      throw dfkd::ConfigError("mlp: option hidden: expected at least one layer width, found []");
    for (int64_t h : hidden)
      if (h <= 0)
        throw dfkd::ConfigError(fmt::format(
            "mlp: option hidden: expected positive widths, found [{}]", fmt::join(hidden, ", ")));
    if (shape.input_shape.empty() || shape.num_classes < 1)
      throw dfkd::ConfigError(fmt::format(
          "mlp: data shape: expected a non-empty input shape and >= 1 class, found [{}] and {}",
          fmt::join(shape.input_shape, ", "), shape.num_classes));
    int64_t input_dim = 1;
    for (int64_t d : shape.input_shape) input_dim *= d;

    net_ = std::make_shared<MlpNet>(input_dim, hidden, shape.num_classes);
    int64_t in = input_dim;
    for (int64_t h : hidden) {
      cost_.macs += in * h;
      in = h;
    }
    cost_.macs += in * shape.num_classes;
    for (const auto& p : net_->parameters()) cost_.parameters += p.numel();
  }

  torch::nn::Module& module() override { return *net_; }

  dfkd::ModelOutput forward(const torch::Tensor& x) override {
    dfkd::ModelOutput out;
    auto h = x.reshape({x.size(0), -1});
    for (size_t i = 0; i < net_->layers.size(); ++i) {
      h = net_->layers[i]->forward(h);
      h = tanh_ ? torch::tanh(h) : torch::relu(h);
      out.features[fmt::format("hidden{}", i + 1)] = h;
    }
    out.features["features"] = h;
    out.logits = net_->head->forward(h);
    return out;
  }

  std::vector<std::string> taps() const override {
    std::vector<std::string> names;
    for (size_t i = 0; i < net_->layers.size(); ++i)
      names.push_back(fmt::format("hidden{}", i + 1));
    names.push_back("features");
    return names;
  }

  dfkd::ModelCost cost() const override { return cost_; }

 private:
  bool tanh_;
  std::shared_ptr<MlpNet> net_;
  dfkd::ModelCost cost_;
};

}  // namespace dfkd_mlp

DFKD_PLUGIN(model, "mlp", "1.0.0", dfkd_mlp::Mlp)
