// STUN parse and verify, then an ICE-lite agent with fixed credentials and the shared-port router
// on the same datagram. Input: one byte of flags, then the datagram.
//   bit 0: sign the datagram again before use (MESSAGE-INTEGRITY with the agent's password, then
//          FINGERPRINT, where the parsed message has them), so mutations reach the checks that
//          follow authentication;
//   bit 1: the datagram comes from an IPv6 address.
// stun_seeds.py writes seeds for these credentials (kLocal, kRemote: keep them in step).
//
// Checks: whatever the agent answers parses, carries the request's transaction id and a valid
// FINGERPRINT, and MESSAGE-INTEGRITY exactly when the request passed the integrity check; a check
// the agent takes verifies with its password, and the router sends it to the agent's session; a
// nomination selects its source; the writer's XOR-MAPPED-ADDRESS reads back as written.
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/ice_router.h>
#include <tessera/webrtc/stun.h>
#include <tessera/webrtc/stun_writer.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <vector>

namespace {

using namespace tessera::webrtc;

const IceCredentials kLocal{"fuzzLoc1", "fuzz-local-password-0123"};
const IceCredentials kRemote{"fuzzRem1", "fuzz-remote-password-012"};
constexpr IceSessionId kSession = 7;

void Check(bool condition) {
  if (!condition) abort();
}

// Rewrites MESSAGE-INTEGRITY and FINGERPRINT in place, as a sender with our password would.
void Sign(std::vector<uint8_t>& datagram) {
  auto m = ParseStun(datagram);
  if (!m) return;
  if (m->integrity_offset) {
    if (auto mac = ComputeMessageIntegrity(datagram, *m->integrity_offset, kLocal.password)) {
      std::copy(mac->begin(), mac->end(), datagram.begin() + *m->integrity_offset + 4);
    }
  }
  if (m->fingerprint_offset && *m->fingerprint_offset + 8 == datagram.size()) {
    if (auto crc = ComputeFingerprint(datagram, *m->fingerprint_offset)) {
      const size_t at = *m->fingerprint_offset + 4;
      for (int i = 0; i < 4; ++i) datagram[at + i] = static_cast<uint8_t>(*crc >> (24 - 8 * i));
    }
  }
}

bool Authenticated(IceDrop drop) {
  return drop == IceDrop::kNone || drop == IceDrop::kUnknownAttribute ||
         drop == IceDrop::kNoPriority || drop == IceDrop::kBadRole ||
         drop == IceDrop::kRoleConflict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::vector<uint8_t> datagram(data + 1, data + size);
  if (flags & 1) Sign(datagram);
  const tessera::net::Endpoint from(
      boost::asio::ip::make_address((flags & 2) ? "2001:db8::7" : "192.0.2.7"), 50000);

  const auto message = ParseStun(datagram);
  if (message) {
    Check(datagram.size() >= kStunHeaderSize && datagram.size() % 4 == 0);
    (void)VerifyMessageIntegrity(*message, datagram, kLocal.password);
    if (VerifyFingerprint(*message, datagram)) {
      Check(*message->fingerprint_offset + 8 == datagram.size());
    }
    if (message->xor_mapped_address) {
      const auto built =
          BuildBindingSuccess(message->transaction_id, *message->xor_mapped_address, "k");
      const auto back = ParseStun(built);
      Check(back && back->xor_mapped_address == message->xor_mapped_address);
    }
  }

  IceLiteAgent agent(kLocal, IceLiteOptions{}, 0);
  agent.SetRemoteCredentials(kRemote);
  const IceResult result = agent.HandleStun(datagram, from, 1000);
  const IceCounters& counters = agent.counters();
  Check(counters.received == 1);
  Check(counters.valid +
            std::accumulate(counters.dropped.begin(), counters.dropped.end(), uint64_t{0}) ==
        1);
  if (!result.response.empty()) {
    Check(message.has_value());
    const auto response = ParseStun(result.response);
    Check(response && response->transaction_id == message->transaction_id);
    Check(VerifyFingerprint(*response, result.response));
    Check(VerifyMessageIntegrity(*response, result.response, kLocal.password) ==
          Authenticated(result.drop));
    Check(response->message_class ==
          (result.valid() ? StunClass::kSuccessResponse : StunClass::kErrorResponse));
    if (result.valid()) Check(response->xor_mapped_address == from);
  }
  if (result.valid()) {
    Check(VerifyMessageIntegrity(*message, datagram, kLocal.password));
    if (result.nominated) Check(agent.selected() == from);

    tessera::webrtc::IceRouter router;
    Check(router.Register(kLocal.ufrag, kSession).ok());
    Check(router.Route(datagram, from) == kSession);
  }
  Check(!agent.ConsentExpired(1000));
  return 0;
}
