// Fully connected generator for low-dimensional data: z -> [Linear (-> BN) -> LeakyReLU]* -> Linear
// (-> scale * tanh) (-> BN without affine). The low-dimensional counterpart of DFAD's GeneratorA,
// whose last layer is Tanh -> BN(affine=False): each generated batch is then zero-mean,
// unit-variance per feature, like standardised data, which keeps the adversary from parking all
// samples in a far corner of the input space where the teacher's logits are extreme.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dfkd/sdk.hpp>

namespace dfkd_mlp_generator {

class MlpGeneratorNet : public torch::nn::Module {
 public:
  MlpGeneratorNet(int64_t latent_dim, const std::vector<int64_t>& hidden, int64_t output_dim,
                  bool batch_norm, bool output_norm) {
    int64_t in = latent_dim;
    for (size_t i = 0; i < hidden.size(); ++i) {
      layers.push_back(
          register_module(fmt::format("fc{}", i + 1), torch::nn::Linear(in, hidden[i])));
      if (batch_norm)
        norms.push_back(
            register_module(fmt::format("bn{}", i + 1), torch::nn::BatchNorm1d(hidden[i])));
      in = hidden[i];
    }
    out = register_module("out", torch::nn::Linear(in, output_dim));
    if (output_norm)
      out_norm = register_module(
          "out_bn",
          torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(output_dim).affine(false)));
  }

  std::vector<torch::nn::Linear> layers;
  std::vector<torch::nn::BatchNorm1d> norms;  ///< empty without batch_norm
  torch::nn::Linear out{nullptr};
  torch::nn::BatchNorm1d out_norm{nullptr};  ///< null without output_batch_norm
};

class MlpGenerator : public dfkd::Generator {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "MLP generator z -> x for low-dimensional data (LeakyReLU(0.2) hidden layers)";
    info.options = {
        dfkd::option_int("latent_dim", 8, "dimension of z ~ N(0, I)").at_least(1).at_most(65536),
        dfkd::option_ints("hidden", {64, 64}, "widths of the hidden layers")
            .at_least(1)
            .at_most(65536),
        dfkd::option_string("output_activation", "tanh",
                            "tanh: output_scale * tanh(.), bounding the samples; none: linear",
                            {"tanh", "none"}),
        dfkd::option_real("output_scale", 3.0,
                          "multiplies the tanh output (3: +-3 std of standardized data); unused "
                          "with output_activation none")
            .greater_than(0),
        dfkd::option_bool("batch_norm", true,
                          "BatchNorm1d after each hidden Linear, as DFAD's GeneratorA"),
        dfkd::option_bool("output_batch_norm", true,
                          "BatchNorm1d(affine=false) on the output, as GeneratorA's last layer: "
                          "batches come out standardised"),
    };
    return info;
  }

  MlpGenerator(const dfkd::Options& o, const dfkd::DataShape& shape)
      : latent_dim_(o.integer("latent_dim")),
        output_shape_(shape.input_shape),
        tanh_(o.string("output_activation") == "tanh"),
        scale_(o.real("output_scale")) {
    const auto hidden = o.integers("hidden");
    if (latent_dim_ < 1)
      throw dfkd::ConfigError(fmt::format(
          "mlp_generator: option latent_dim: expected an integer >= 1, found {}", latent_dim_));
    for (int64_t h : hidden)
      if (h <= 0)
        throw dfkd::ConfigError(
            fmt::format("mlp_generator: option hidden: expected positive widths, found [{}]",
                        fmt::join(hidden, ", ")));
    if (output_shape_.empty())
      throw dfkd::ConfigError(
          "mlp_generator: data shape: expected a non-empty input shape, found []");
    int64_t output_dim = 1;
    for (int64_t d : output_shape_) output_dim *= d;
    net_ = std::make_shared<MlpGeneratorNet>(
        latent_dim_, hidden, output_dim, o.boolean("batch_norm"), o.boolean("output_batch_norm"));
  }

  torch::nn::Module& module() override { return *net_; }
  int64_t latent_dim() const override { return latent_dim_; }

  torch::Tensor forward(const torch::Tensor& z) override {
    auto h = z;
    for (size_t i = 0; i < net_->layers.size(); ++i) {
      h = net_->layers[i]->forward(h);
      if (!net_->norms.empty()) h = net_->norms[i]->forward(h);
      h = torch::leaky_relu(h, 0.2);
    }
    auto x = net_->out->forward(h);
    if (tanh_) x = scale_ * torch::tanh(x);
    if (net_->out_norm) x = net_->out_norm->forward(x);
    std::vector<int64_t> shape{z.size(0)};
    shape.insert(shape.end(), output_shape_.begin(), output_shape_.end());
    return x.reshape(shape);
  }

 private:
  int64_t latent_dim_;
  std::vector<int64_t> output_shape_;
  bool tanh_;
  double scale_;
  std::shared_ptr<MlpGeneratorNet> net_;
};

}  // namespace dfkd_mlp_generator

DFKD_PLUGIN(generator, "mlp_generator", "1.1.0", dfkd_mlp_generator::MlpGenerator)
