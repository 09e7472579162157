#include "lab/scenario/plan.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::scenario {
namespace fs = std::filesystem;

std::filesystem::path ArchBaseFragment(Arch arch) {
  return DataDir() / "images" / "kconfig" / fmt::format("base-{}.config", ArchName(arch));
}

const BuildSpec* Plan::FindBuild(std::string_view key) const {
  for (const auto& b : builds) {
    if (b.key == key) return &b;
  }
  return nullptr;
}

namespace {

// Everything but the Rust flags: builds with equal tree keys share an O= tree.
Result<std::string> TreeKey(const BuildSpec& b) {
  KeyHasher h;
  h.Add("tree-v1").Add(b.source.spec).Add(b.toolchain).Add(ArchName(b.arch));
  if (b.config == "tinyconfig" || b.config == "defconfig") {
    h.Add(b.config);
  } else {
    auto digest = Sha256File(b.config);
    if (!digest) return std::unexpected(digest.error());
    h.Add("file").Add(*digest);
  }
  for (const auto& f : b.fragments) {
    auto text = ReadFile(f);
    if (!text) return std::unexpected(text.error().Wrap("reading a Kconfig fragment"));
    h.Add(*text);
  }
  for (const auto& [k, v] : b.kconfig) h.Add(k).Add(v);
  return h.Short();
}

}  // namespace

Result<Plan> ExpandPlan(const Scenario& s, int repetitions) {
  Plan plan;
  plan.scenario = &s;
  // (source, toolchain, arch, variant) → build key, to order the boots.
  std::map<std::tuple<std::string, std::string, Arch, std::string>, std::string> key_of;
  std::vector<BuildSpec> builds;
  for (const auto& src : s.kernel.sources) {
    for (const auto& tc : s.toolchains) {
      for (Arch arch : s.arches) {
        for (const auto& v : s.variants) {
          BuildSpec b;
          b.source = src;
          b.toolchain = tc;
          b.arch = arch;
          b.config = s.kernel.config;
          b.fragments.push_back(ArchBaseFragment(arch));
          for (const auto& f : s.kernel.fragments) b.fragments.push_back(f);
          b.kconfig = v.kconfig;
          b.rustflags = v.rustflags;
          b.expect = v.expect;
          b.expect_code = v.expect_code;
          auto tree = TreeKey(b);
          if (!tree) return std::unexpected(tree.error());
          b.tree_key = *tree;
          KeyHasher h;
          h.Add("build-v1").Add(b.tree_key);
          for (const auto& f : b.rustflags) h.Add(f);
          b.key = h.Short();
          key_of[{src.spec, tc, arch, v.name}] = b.key;
          auto same = std::find_if(builds.begin(), builds.end(), [&](const BuildSpec& x) { return x.key == b.key; });
          if (same != builds.end()) {
            same->variants.push_back(v.name);
            if (v.expect == Expect::kPass) same->expect = Expect::kPass;
            same->expect_code.insert(v.expect_code.begin(), v.expect_code.end());
          } else {
            b.variants.push_back(v.name);
            builds.push_back(std::move(b));
          }
        }
      }
    }
  }
  // Adjacent builds share a tree: a stable partition by first appearance of each tree key.
  std::vector<std::string> tree_order;
  for (const auto& b : builds) {
    if (std::find(tree_order.begin(), tree_order.end(), b.tree_key) == tree_order.end())
      tree_order.push_back(b.tree_key);
  }
  for (const auto& t : tree_order) {
    for (const auto& b : builds) {
      if (b.tree_key == t) plan.builds.push_back(b);
    }
  }
  // Boots: interleaved A B A B per (source, toolchain, arch), one sample per boot.
  int reps = repetitions > 0 ? repetitions : s.repeat.min;
  int index = 0;
  for (int rep = 0; rep < reps; ++rep) {
    for (const auto& src : s.kernel.sources) {
      for (const auto& tc : s.toolchains) {
        for (Arch arch : s.arches) {
          for (const auto& v : s.variants) {
            if (v.expect == Expect::kBuildFailure) continue;
            BootSpec boot;
            boot.index = index++;
            boot.build_key = key_of[{src.spec, tc, arch, v.name}];
            boot.variant = v.name;
            boot.source = src;
            boot.toolchain = tc;
            boot.arch = arch;
            boot.repetition = rep;
            plan.boots.push_back(std::move(boot));
          }
        }
      }
    }
  }
  for (const auto& tc : s.toolchains) {
    for (Arch arch : s.arches) {
      for (const auto& r : s.abi_checks) {
        if (r.arches.empty() || std::find(r.arches.begin(), r.arches.end(), arch) != r.arches.end()) {
          plan.abi_checks.push_back({tc, arch, r.flag});
        }
      }
    }
  }
  return plan;
}

std::vector<const BuildSpec*> ShardBuilds(const Plan& plan, int index, int count) {
  std::vector<const BuildSpec*> out;
  if (count < 1 || index < 1 || index > count) return out;
  // Trees in plan order with their builds; each goes to the shard with the
  // fewest builds so far (the lowest-numbered on a tie).
  std::vector<std::string> order;
  std::map<std::string, size_t> builds_of_tree;
  for (const auto& b : plan.builds) {
    if (builds_of_tree[b.tree_key]++ == 0) order.push_back(b.tree_key);
  }
  std::vector<size_t> load(static_cast<size_t>(count), 0);
  std::map<std::string, int> shard_of_tree;
  for (const auto& tree : order) {
    size_t best = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[best] += builds_of_tree[tree];
    shard_of_tree[tree] = static_cast<int>(best) + 1;
  }
  for (const auto& b : plan.builds) {
    if (shard_of_tree[b.tree_key] == index) out.push_back(&b);
  }
  return out;
}

Result<std::pair<int, int>> ParseShard(std::string_view text) {
  auto slash = text.find('/');
  int i = 0, n = 0;
  auto num = [](std::string_view t, int& v) {
    if (t.empty() || t.size() > 4) return false;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size();
  };
  if (slash == std::string_view::npos || !num(text.substr(0, slash), i) || !num(text.substr(slash + 1), n) ||
      n < 1 || i < 1 || i > n) {
    return FailAs(Error::Kind::kInput, "--shard '{}' is not I/N with 1 <= I <= N (e.g. 1/2)", text);
  }
  return std::pair{i, n};
}

}  // namespace rfl::scenario
