// rfl-lab toolchain list | available [--suite S]... [--json] | provision NAME [--force] |
//         shell NAME [--source SPEC]
#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include "lab/cli/commands.h"
#include "lab/kernel/source.h"
#include "lab/scenario/model.h"
#include "lab/toolchain/available.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"

namespace rfl::cli {
namespace {

void List(const LabDirs& dirs) {
  std::cout << fmt::format("{:<12} {:<26} {:<11} {:<16} {}\n", "toolchain", "suites", "rustc", "bindgen", "clang");
  for (const auto& name : toolchain::ListRecipeNames(dirs.data)) {
    auto recipe = toolchain::FindRecipe(dirs.data, name);
    std::string suites = recipe ? recipe->suite : "?";
    if (recipe) {
      for (const auto& s : recipe->extra_suites) suites += "+" + s;
    }
    auto tc = toolchain::FindProvisioned(dirs.cache, dirs.data, name);
    if (tc) {
      std::cout << fmt::format("{:<12} {:<26} {:<11} {:<16} {}\n", name, suites, tc->versions.rustc,
                               tc->versions.bindgen, tc->versions.clang);
    } else {
      std::cout << fmt::format("{:<12} {:<26} {}\n", name, suites, "(not provisioned: rfl-lab toolchain provision " + name + ")");
    }
  }
  auto host = toolchain::Provision(dirs.cache, dirs.data, std::string(toolchain::kHostToolchain), DefaultRunner());
  if (host) {
    std::cout << fmt::format("{:<12} {:<26} {:<11} {:<16} {}\n", "host", "(PATH)", host->versions.rustc,
                             host->versions.bindgen, host->versions.clang);
  } else {
    std::cout << fmt::format("{:<12} {:<26} {}\n", "host", "(PATH)", "(no rustc on PATH)");
  }
}

}  // namespace

void RegisterToolchainCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("toolchain", "Toolchain root filesystems (one per rustc version)");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "Recipes, and the rustc/bindgen/clang of each provisioned toolchain");
  list->callback([&ctx] {
    List(ctx.Dirs());
  });

  struct AvailableOpts {
    std::vector<std::string> suites{"trixie", "trixie-backports", "forky"};
    std::string mirror = "http://deb.debian.org/debian";
    bool json = false;
  };
  auto ao = std::make_shared<AvailableOpts>();
  auto* avail = cmd->add_subcommand(
      "available", "The rustc, bindgen, clang and linux-source versions the archive offers now, and their recipes");
  avail->add_option("--suite", ao->suites, "Debian suites to read (default: trixie trixie-backports forky)")
      ->capture_default_str();
  avail->add_option("--mirror", ao->mirror, "Debian mirror")->capture_default_str();
  avail->add_flag("--json", ao->json, "JSON instead of a table");
  avail->callback([&ctx, ao] {
    auto dirs = ctx.Dirs();
    toolchain::Recipe suites;
    suites.name = "available";
    suites.suite = ao->suites.front();
    suites.extra_suites.assign(ao->suites.begin() + 1, ao->suites.end());
    suites.mirror = ao->mirror;
    // A listing: testing suites' Release files are often past their date
    // here (see rustc-1.97.yaml); signatures are still checked.
    suites.apt_options = {"Acquire::Check-Valid-Until \"false\""};
    auto index = toolchain::ReadArchiveIndex(suites, dirs.cache / "toolchains" / ".apt" / ".available", DefaultRunner());
    if (!index) return ctx.Fail(index.error());
    std::vector<toolchain::Recipe> recipes;
    for (const auto& name : toolchain::ListRecipeNames(dirs.data)) {
      if (auto r = toolchain::FindRecipe(dirs.data, name)) recipes.push_back(*r);
    }
    auto a = toolchain::SummarizeArchive(*index, ao->suites, recipes);
    if (ao->json) std::cout << toolchain::AvailabilityJson(a).dump(2) << "\n";
    else std::cout << toolchain::RenderAvailability(a);
  });

  struct ProvisionOpts {
    std::string name;
    bool force = false;
  };
  auto po = std::make_shared<ProvisionOpts>();
  auto* prov = cmd->add_subcommand("provision", "Make (or check) a toolchain rootfs with mmdebstrap");
  prov->add_option("name", po->name,
                   "Recipe name (images/toolchains/NAME.yaml), dir:SYSROOT or tarball:rust-<ver>-<host>.tar.xz")
      ->required();
  prov->add_flag("--force", po->force, "Redo it even if it is complete");
  prov->callback([&ctx, po] {
    auto dirs = ctx.Dirs();
    toolchain::ProvisionOptions opts;
    opts.force = po->force;
    auto tc = toolchain::Provision(dirs.cache, dirs.data, toolchain::AbsoluteToolchainName(po->name), DefaultRunner(),
                                   opts);
    if (!tc) return ctx.Fail(tc.error());
    std::cout << fmt::format("{}: rustc {}, {}, {}, {}\n", tc->name, tc->versions.rustc, tc->versions.bindgen,
                             tc->versions.clang, tc->versions.rustfmt);
    if (!tc->is_host()) std::cout << fmt::format("rootfs: {}\n", tc->rootfs.string());
  });

  struct ShellOpts {
    std::string name;
    std::string source;
  };
  auto so = std::make_shared<ShellOpts>();
  auto* shell = cmd->add_subcommand("shell", "An interactive shell inside a toolchain (kernel source at /src)");
  shell->add_option("name", so->name, "Toolchain name")->required();
  shell->add_option("--source", so->source, "Kernel source to mount read-only at /src (e.g. debian:linux-source-7.3)");
  shell->callback([&ctx, so] {
    auto dirs = ctx.Dirs();
    auto tc = toolchain::Provision(dirs.cache, dirs.data, toolchain::AbsoluteToolchainName(so->name), DefaultRunner());
    if (!tc) return ctx.Fail(tc.error());
    std::vector<toolchain::Mount> mounts;
    if (!so->source.empty()) {
      auto ks = kernel::ParseSourceSpec(so->source);
      if (!ks) return ctx.Fail(ExitCode::kBadInput, "--source " + ks.error().message);
      auto src = kernel::PrepareSource(*ks, dirs.cache, DefaultRunner());
      if (!src) return ctx.Fail(src.error());
      mounts.push_back({src->dir, toolchain::kSourceMountPoint, false});
    }
    auto argv = toolchain::ShellArgv(*tc, mounts);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    ctx.Fail(ExitCode::kLabFailure, fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
  });
}

}  // namespace rfl::cli
