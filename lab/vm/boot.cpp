#include "lab/vm/boot.h"

namespace rfl::vm {

std::string_view ResolvedAccelName(ResolvedAccel a) { return a == ResolvedAccel::kKvm ? "kvm" : "tcg"; }

std::string_view EndReasonName(EndReason r) {
  switch (r) {
    case EndReason::kGuestStopped: return "guest-stopped";
    case EndReason::kCrashed: return "crashed";
    case EndReason::kTimeout: return "timeout";
    case EndReason::kSilent: return "silent";
    case EndReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace rfl::vm
