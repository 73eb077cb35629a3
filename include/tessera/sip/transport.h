// What every SIP transport does with the bytes of one received message (a datagram, or what
// FrameStreamMessage delimited on a stream), and the counters they keep. Pure: no I/O.
// Runs on: any one thread.
#pragma once

#include <tessera/sip/transaction_layer.h>
#include <tessera/sip/validate.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::sip {

// A received message ready for the transaction layer, with the transport it came on.
using MessageHandler = std::function<void(SipMessage message, const Destination& source)>;

struct Inbound {
  std::optional<SipMessage> message;  // deliver (top Via stamped per 18.2.1)
  std::optional<SipMessage> reply;    // send back to reply_to instead (400, CheckRequest's 4xx)
  Destination reply_to;
  std::string drop_reason;  // neither: drop and count under this reason
};

// Parses, stamps the top Via of a request with the source (StampTopVia) and runs CheckRequest.
// An unparsable response or garbage is dropped; an answerable parse error or a rejected request
// gets its 4xx (an ACK never gets one).
Inbound ProcessInbound(std::string_view bytes, const Destination& source, const UasPolicy& policy,
                       const ParseLimits& limits = DefaultParseLimits());

struct TransportCounters {
  uint64_t bytes_received = 0;  // datagrams' bytes; a stream's bytes as read (after TLS)
  uint64_t received = 0;        // messages handed to the transaction layer
  uint64_t rejected = 0;        // answered with a 4xx by the transport
  uint64_t sent = 0;
  uint64_t send_failures = 0;
  std::map<std::string, uint64_t> dropped;  // by reason
  void Drop(const std::string& reason) { ++dropped[reason]; }
  uint64_t total_dropped() const {
    uint64_t n = 0;
    for (const auto& [reason, count] : dropped) n += count;
    return n;
  }
};

// Sends each message through the transport its Destination names ("UDP", "TCP"...).
class TransportRouter : public TransportSink {
 public:
  void Add(std::string transport, TransportSink* sink) { sinks_[std::move(transport)] = sink; }
  bool Send(const Destination& to, std::string_view bytes) override {
    auto it = sinks_.find(to.transport);
    return it != sinks_.end() && it->second->Send(to, bytes);
  }

 private:
  std::map<std::string, TransportSink*> sinks_;
};

}  // namespace tessera::sip
