#include "lab/util/cancel.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace rfl {
namespace {
std::atomic<int> g_signal{0};
std::atomic<bool> g_cancel{false};
// Never freed: the watcher thread and late destructors may still read it.
std::atomic<std::stop_source*> g_source{new std::stop_source};

extern "C" void OnInterrupt(int sig) {
  g_signal.store(sig);
  g_cancel.store(true);
}

// request_stop() is not async-signal-safe, so a thread does it for the
// handler; 20 ms is far below any wait's own polling interval.
void WatchForInterrupts() {
  std::thread([] {
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (g_cancel.load()) g_source.load()->request_stop();
    }
  }).detach();
}
}  // namespace

void InstallInterruptHandlers() {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and notice
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  WatchForInterrupts();
}

std::stop_token InterruptToken() { return g_source.load()->get_token(); }
bool CancelRequested() { return g_cancel.load() || g_source.load()->stop_requested(); }
void RequestCancel() {
  g_cancel.store(true);
  g_source.load()->request_stop();
}
void ResetCancelForTesting() {
  g_cancel.store(false);
  g_signal.store(0);
  g_source.store(new std::stop_source);
}
int CancelSignal() { return g_signal.load(); }

}  // namespace rfl
