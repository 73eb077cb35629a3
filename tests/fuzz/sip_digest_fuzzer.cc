// The Digest challenge and credentials parsers on arbitrary text. What parses must survive
// serialise -> parse with the same values, and the server must verify it without crashing.
#include <tessera/base/clock.h>
#include <tessera/sip/digest.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ch = ParseDigestChallenge(text)) {
    auto again = ParseDigestChallenge(SerializeDigestChallenge(*ch));
    if (!again || again->realm != ch->realm || again->nonce != ch->nonce ||
        again->opaque != ch->opaque || again->domain != ch->domain ||
        again->algorithm != ch->algorithm || again->stale != ch->stale || again->qop != ch->qop) {
      abort();
    }
    (void)AnswerDigestChallenge(*ch, "user", "password", "INVITE", "sip:x@y", "cnonce", 1);
  }
  if (auto c = ParseDigestCredentials(text)) {
    auto again = ParseDigestCredentials(SerializeDigestCredentials(*c));
    if (!again || again->username != c->username || again->realm != c->realm ||
        again->nonce != c->nonce || again->uri != c->uri || again->response != c->response ||
        again->opaque != c->opaque || again->algorithm != c->algorithm) {
      abort();
    }
    if (text::IsToken(c->qop) &&
        (again->qop != c->qop || again->nc != c->nc || again->cnonce != c->cnonce)) {
      abort();
    }
    static tessera::FakeClock clock;
    static const DigestServer server("secret", "realm", clock);
    (void)server.Verify(*c, "INVITE", ComputeHa1(c->algorithm, c->username, c->realm, "pw"));
  }
  return 0;
}
