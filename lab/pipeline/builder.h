#pragma once
// The kernel-build boundary of a run. The real builder is kernel::BuildKernel
// in the cache's stable trees; unit tests of the run use a fake
// (tests/support/fake_builder.h) that returns scripted outcomes at once.
#include <functional>
#include <stop_token>

#include "lab/kernel/build.h"
#include "lab/scenario/plan.h"
#include "lab/util/result.h"

namespace rfl::pipeline {

class KernelBuilder {
 public:
  virtual ~KernelBuilder() = default;
  // Builds one build of the plan (or finds it cached). A failed kernel
  // build is a BuildOutcome (a finding); an error means the lab could not
  // work, or `stop` ended it (Kind::kCancelled). `tree_ready`, when given,
  // is called once the build has its own tree and holds no other (a new
  // tree is copied from its seed first; BuildContext::on_tree_ready); a
  // builder may also not call it: the build's end says as much.
  [[nodiscard]] virtual Result<kernel::BuildOutcome> Build(const scenario::BuildSpec& spec, std::stop_token stop,
                                                           std::function<void()> tree_ready) = 0;
};

// kernel::BuildKernel with `base` (cache, data dir, jobs, progress) for
// every build; the label names the scenario, variants and arch.
class KbuildBuilder final : public KernelBuilder {
 public:
  KbuildBuilder(kernel::BuildContext base, std::string scenario_name)
      : base_(std::move(base)), scenario_name_(std::move(scenario_name)) {}
  [[nodiscard]] Result<kernel::BuildOutcome> Build(const scenario::BuildSpec& spec, std::stop_token stop,
                                                   std::function<void()> tree_ready) override;

 private:
  kernel::BuildContext base_;
  std::string scenario_name_;
};

}  // namespace rfl::pipeline
