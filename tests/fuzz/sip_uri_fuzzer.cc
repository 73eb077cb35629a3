// ParseUri and ParseNameAddr on arbitrary text. A URI that parses must equal itself and survive
// SerializeUri -> ParseUri unchanged; a name-addr that parses must survive SerializeNameAddr.
#include <tessera/sip/headers.h>
#include <tessera/sip/uri.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParseLimits& limits = DefaultParseLimits();
  auto uri = ParseUri(text, limits);
  if (uri.uri) {
    if (!UriEquals(*uri.uri, *uri.uri)) abort();
    auto again = ParseUri(SerializeUri(*uri.uri), limits);
    if (!again.uri || !UriEquals(*uri.uri, *again.uri) || again.uri->user != uri.uri->user ||
        again.uri->params != uri.uri->params || again.uri->headers != uri.uri->headers) {
      abort();
    }
  }
  auto name_addr = ParseNameAddr(text, limits);
  if (name_addr.value) {
    ParseLimits roomy = limits;
    roomy.max_uri_bytes *= 2;
    auto again = ParseNameAddr(SerializeNameAddr(*name_addr.value), roomy);
    if (!again.value || again.value->display_name != name_addr.value->display_name ||
        again.value->tag != name_addr.value->tag ||
        !UriEquals(again.value->uri, name_addr.value->uri)) {
      abort();
    }
  }
  (void)ParseViaList(text, limits);
  return 0;
}
