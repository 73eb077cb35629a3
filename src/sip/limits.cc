#include <tessera/sip/limits.h>

namespace tessera::sip {

const ParseLimits& DefaultParseLimits() {
  static const ParseLimits limits;
  return limits;
}

}  // namespace tessera::sip
