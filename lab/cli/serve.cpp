// rfl-lab serve: a /metrics endpoint over the results store, for Prometheus.
#include <iostream>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "lab/cli/commands.h"
#include "lab/results/store.h"

namespace rfl::cli {

void RegisterServeCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "serve", "Expose the results store as Prometheus metrics on /metrics (computed on each scrape)");
  auto listen = std::make_shared<std::string>(exporters::kDefaultListen);
  auto store = std::make_shared<std::string>();
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--store", *store, "Results store (default <state dir>/results.sqlite3)");
  cmd->callback([&ctx, listen, store] {
    exporters::ServeOptions options;
    options.listen = *listen;
    options.store = store->empty() ? results::DefaultStorePath(ctx.Dirs().state) : std::filesystem::path(*store);
    options.on_listening = [&options](int port) {
      // One line on stdout, so scripts and tests learn the port.
      std::cout << fmt::format("serving http://{}:{}/metrics from {}\n",
                               options.listen.substr(0, options.listen.rfind(':')), port, options.store.string())
                << std::flush;
    };
    auto st = exporters::Serve(options);
    if (!st) ctx.Fail(st.error());
  });
}

}  // namespace rfl::cli
