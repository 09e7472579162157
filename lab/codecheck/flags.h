#pragma once
// The one map from a rustc flag to its code check. Spellings follow rustc
// (`-Zcf-protection=branch`); the kernel's equivalents of the C side
// (`-fcf-protection=branch`) are not accepted here on purpose: these checks
// judge what rustc emitted.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lab/codecheck/check.h"
#include "lab/util/result.h"

namespace rfl::codecheck {

// The check for `flag`; Error::Kind::kInput for a flag no check knows (the
// message lists the ones that exist) or a malformed value.
[[nodiscard]] Result<std::unique_ptr<FlagCheck>> MakeFlagCheck(std::string_view flag);

// The flags MakeFlagCheck accepts, as a user would write them.
const std::vector<std::string>& KnownFlagForms();

}  // namespace rfl::codecheck
