// A TransactionLayer driven by a byte stream read as events: requests and responses received
// (built from a few fields so that they match each other, or raw bytes parsed), time passing,
// the TU answering or sending, sends failing. Besides not crashing: once the TU has answered
// everything and 64*T1+T4 have passed, no transaction, retransmitter or timer may be left.
#include <spdlog/spdlog.h>
#include <tessera/sip/transaction_layer.h>
#include <tessera/sip/transport.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_input.h"

namespace {

using namespace tessera::sip;

constexpr const char* kMethods[] = {"INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER"};
constexpr int kCodes[] = {100, 180, 183, 200, 202, 302, 401, 486, 487, 500, 503, 603};

void Check(bool condition) {
  if (!condition) abort();
}

class Sink : public TransportSink {
 public:
  bool Send(const Destination&, std::string_view bytes) override {
    Check(ParseSipMessage(bytes).ok());  // everything the layer sends must parse
    return !fail;
  }
  bool fail = false;
};

class Tu : public TransactionUser {
 public:
  void OnTransactionEvent(const TuEvent& event) override {
    if (event.kind == TuEvent::Kind::kRequest) requests.push_back({event.id, *event.message});
  }
  std::vector<std::pair<TransactionId, SipMessage>> requests;
};

std::string Branch(tessera::fuzz::Input& in, char side) {
  const uint8_t b = in.Byte() % 6;
  if (b == 5) return "rfc2543x";
  return std::string("z9hG4bK") + side + std::to_string(b);
}

std::string RequestText(tessera::fuzz::Input& in, std::string_view method,
                        std::string_view branch) {
  const uint8_t flags = in.Byte();
  std::string cseq_method(method);
  return std::string(method) + " sip:conf@example.com SIP/2.0\r\nVia: SIP/2.0/" +
         ((flags & 1) ? "TCP" : "UDP") + " host" + std::to_string((flags >> 1) & 1) +
         ".example.com" + ((flags & 4) ? ";rport" : "") + ";branch=" + std::string(branch) +
         "\r\nTo: <sip:conf@example.com>" + ((flags & 8) ? ";tag=t1" : "") +
         "\r\nFrom: <sip:a@example.com>;tag=f1\r\nCall-ID: c" + std::to_string((flags >> 4) & 1) +
         "\r\nCSeq: " + std::to_string(1 + ((flags >> 5) & 1)) + " " + cseq_method +
         "\r\nContent-Length: 0\r\n\r\n";
}

Destination Source(tessera::fuzz::Input& in) {
  const uint8_t b = in.Byte();
  Destination d;
  d.transport = (b & 1) ? "TCP" : "UDP";
  d.host = "10.0.0." + std::to_string((b >> 1) & 3);
  d.port = static_cast<uint16_t>(5060 + ((b >> 3) & 1));
  d.connection = (b & 1) ? 1 + ((b >> 4) & 1) : 0;
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // the flood warnings would drown the fuzzer's output
    return true;
  }();
  (void)quiet;
  tessera::fuzz::Input in({data, size});
  tessera::FakeClock clock;
  ManualTimerService timers(clock);
  Sink sink;
  Tu tu;
  TransactionLayerConfig config;
  config.max_transactions = 8;
  config.new_requests = {5, 10};
  config.timers.invite_proceeding_limit = 64 * config.timers.t1;
  TransactionLayer layer(clock, timers, sink, tu, config);
  std::vector<SipMessage> sent_requests;

  for (int step = 0; step < 256 && !in.empty(); ++step) {
    switch (in.Byte() % 8) {
      case 0: {  // a request arrives
        const char* method = kMethods[in.Byte() % 6];
        auto parsed = ParseSipMessage(RequestText(in, method, Branch(in, 's')));
        if (parsed.ok()) layer.OnMessage(*parsed.message, Source(in));
        break;
      }
      case 1: {  // a response to one of our requests (or to nothing)
        if (sent_requests.empty()) break;
        const SipMessage& request = sent_requests[in.Byte() % sent_requests.size()];
        const int code = kCodes[in.Byte() % std::size(kCodes)];
        layer.OnMessage(MakeResponse(request, code, "R", (in.Byte() & 1) ? "tt" : ""), Source(in));
        break;
      }
      case 2:  // time passes
        clock.AdvanceMs(in.U16() % 40'000);
        timers.RunDue();
        break;
      case 3: {  // the TU answers
        if (tu.requests.empty()) break;
        auto& [id, request] = tu.requests[in.Byte() % tu.requests.size()];
        const int code = kCodes[in.Byte() % std::size(kCodes)];
        const SipMessage response = MakeResponse(request, code, "R", "uas");
        if (layer.Respond(id, response) && code >= 200 && code < 300 &&
            request.method() == "INVITE" && (in.Byte() & 1)) {
          Destination to;
          to.host = "10.0.0.1";
          layer.Retransmit2xx(request, response, to, id);
        }
        break;
      }
      case 4: {  // the TU sends a request
        const char* method = kMethods[in.Byte() % 6];
        auto parsed = ParseSipMessage(RequestText(in, method, Branch(in, 'c')));
        if (!parsed.ok()) break;
        if (layer.SendRequest(*parsed.message, Source(in)) != 0) {
          sent_requests.push_back(*parsed.message);
        }
        break;
      }
      case 5: {  // raw bytes
        const size_t n = in.Byte();
        std::string raw;
        for (size_t i = 0; i < n && !in.empty(); ++i) raw.push_back(static_cast<char>(in.Byte()));
        // As a transport would: parse, stamp the Via, CheckRequest.
        const Destination source = Source(in);
        Inbound inbound = ProcessInbound(raw, source, UasPolicy{});
        if (inbound.message) layer.OnMessage(std::move(*inbound.message), source);
        // A 400 built from a partial parse echoes the sender's own fields, which need not
        // parse again: it only has to serialise.
        if (inbound.reply) Check(!SerializeMessage(*inbound.reply).empty());
        break;
      }
      case 6:
        sink.fail = (in.Byte() & 3) == 0;
        break;
      default:
        timers.RunDue();
        break;
    }
  }

  // The TU answers everything still open; then every transaction must end within 64*T1+T4.
  sink.fail = false;
  for (auto& [id, request] : tu.requests) {
    (void)layer.Respond(id, MakeResponse(request, 486, "Busy", "uas"));
  }
  const int64_t end = clock.NowUs() + (64 * config.timers.t1 + config.timers.t4).count() * 1000 + 1;
  for (int64_t next = timers.NextDeadlineUs(); next != -1 && next <= end;
       next = timers.NextDeadlineUs()) {
    if (next > clock.NowUs()) clock.AdvanceUs(next - clock.NowUs());
    timers.RunDue();
  }
  Check(layer.size() == 0);
  Check(layer.retransmitters() == 0);
  Check(timers.pending() == 0);
  return 0;
}
