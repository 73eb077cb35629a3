// Consent to being recorded: its names in the config, the API and the events.
#include <tessera/session/config.h>

namespace tessera::session {

const char* ConsentName(Consent consent) {
  switch (consent) {
    case Consent::kGranted:
      return "granted";
    case Consent::kDeclined:
      return "declined";
    case Consent::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<Consent> ConsentFromName(const std::string& name) {
  if (name == "unknown") return Consent::kUnknown;
  if (name == "granted") return Consent::kGranted;
  if (name == "declined") return Consent::kDeclined;
  return std::nullopt;
}

const char* ConsentPolicyName(ConsentPolicy policy) {
  return policy == ConsentPolicy::kExclude ? "exclude" : "require";
}

std::optional<ConsentPolicy> ConsentPolicyFromName(const std::string& name) {
  if (name == "require") return ConsentPolicy::kRequire;
  if (name == "exclude") return ConsentPolicy::kExclude;
  return std::nullopt;
}

}  // namespace tessera::session
