#include "lab/pipeline/builder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rfl::pipeline {

Result<kernel::BuildOutcome> KbuildBuilder::Build(const scenario::BuildSpec& spec, std::stop_token stop,
                                                  std::function<void()> tree_ready) {
  kernel::BuildContext ctx = base_;
  ctx.stop = std::move(stop);
  ctx.on_tree_ready = std::move(tree_ready);
  ctx.label = fmt::format("{}/{} {}", scenario_name_, fmt::join(spec.variants, ","), ArchName(spec.arch));
  return kernel::BuildKernel(spec, ctx);
}

}  // namespace rfl::pipeline
