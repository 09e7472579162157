#include "lab/util/cancel.h"

#include <atomic>
#include <csignal>

namespace rfl {
namespace {
std::atomic<int> g_signal{0};
std::atomic<bool> g_cancel{false};

extern "C" void OnInterrupt(int sig) {
  g_signal.store(sig);
  g_cancel.store(true);
}
}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and notice
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool CancelRequested() { return g_cancel.load(); }
void RequestCancel() { g_cancel.store(true); }
void ResetCancelForTesting() {
  g_cancel.store(false);
  g_signal.store(0);
}
int CancelSignal() { return g_signal.load(); }

}  // namespace rfl
