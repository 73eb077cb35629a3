#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/ice_router.h>
#include <tessera/webrtc/stun.h>

#include <algorithm>

namespace tessera::webrtc {

IceRouter::IceRouter(size_t max_addresses_per_session)
    : max_addresses_per_session_(std::max<size_t>(1, max_addresses_per_session)) {}

Status IceRouter::Register(std::string_view ufrag, IceSessionId session) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (ufrag.empty()) return InvalidArgumentError("an ICE ufrag cannot be empty");
  const std::string key(ufrag);
  auto it = ufrags_.find(key);
  if (it != ufrags_.end()) {
    if (it->second == session) return Status::Ok();
    return Status(StatusCode::kAlreadyExists,
                  "ICE ufrag '" + key + "' is registered by another session");
  }
  ufrags_.emplace(key, session);
  sessions_[session].ufrags.push_back(key);
  return Status::Ok();
}

void IceRouter::Unregister(std::string_view ufrag) {
  TESSERA_DCHECK_RUN_ON(checker_);
  auto it = ufrags_.find(std::string(ufrag));
  if (it == ufrags_.end()) return;
  const IceSessionId session = it->second;
  ufrags_.erase(it);
  auto s = sessions_.find(session);
  if (s == sessions_.end()) return;
  std::erase(s->second.ufrags, ufrag);
  EraseIfEmpty(session);
}

void IceRouter::Learn(IceSessionId session, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  auto it = addresses_.find(from);
  if (it != addresses_.end()) {
    const IceSessionId previous = it->second;
    ForgetAddress(previous, from);
    it->second = session;
    if (previous != session) EraseIfEmpty(previous);
  } else {
    addresses_.emplace(from, session);
  }
  std::deque<net::Endpoint>& addresses = sessions_[session].addresses;
  addresses.push_back(from);  // the most recent last
  while (addresses.size() > max_addresses_per_session_) {
    addresses_.erase(addresses.front());
    addresses.pop_front();
  }
}

void IceRouter::RemoveSession(IceSessionId session) {
  TESSERA_DCHECK_RUN_ON(checker_);
  auto s = sessions_.find(session);
  if (s == sessions_.end()) return;
  for (const std::string& ufrag : s->second.ufrags) ufrags_.erase(ufrag);
  for (const net::Endpoint& address : s->second.addresses) addresses_.erase(address);
  sessions_.erase(s);
}

std::optional<IceSessionId> IceRouter::Route(std::span<const uint8_t> datagram,
                                             const net::Endpoint& from) const {
  TESSERA_DCHECK_RUN_ON(checker_);
  // STUN's first byte is 0 to 3 (RFC 7983): only then is a parse worth trying.
  if (!datagram.empty() && datagram[0] <= 3) {
    const std::optional<StunMessage> message = ParseStun(datagram);
    if (message && message->IsBindingRequest()) {
      if (const auto ufrag = IceLiteAgent::UsernameLocalUfrag(*message)) {
        if (auto it = ufrags_.find(*ufrag); it != ufrags_.end()) return it->second;
      }
    }
  }
  if (auto it = addresses_.find(from); it != addresses_.end()) return it->second;
  return std::nullopt;
}

std::vector<net::Endpoint> IceRouter::AddressesOf(IceSessionId session) const {
  auto s = sessions_.find(session);
  if (s == sessions_.end()) return {};
  return {s->second.addresses.begin(), s->second.addresses.end()};
}

void IceRouter::ForgetAddress(IceSessionId session, const net::Endpoint& address) {
  auto s = sessions_.find(session);
  if (s == sessions_.end()) return;
  std::erase(s->second.addresses, address);
}

void IceRouter::EraseIfEmpty(IceSessionId session) {
  auto s = sessions_.find(session);
  if (s != sessions_.end() && s->second.ufrags.empty() && s->second.addresses.empty()) {
    sessions_.erase(s);
  }
}

}  // namespace tessera::webrtc
