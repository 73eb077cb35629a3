// SIP message parse and write costs: a typical INVITE with SDP (about 1 kB, as softphones send)
// and its 200 OK; items = messages.
#include <benchmark/benchmark.h>
#include <tessera/sip/message.h>
#include <tessera/sip/validate.h>

#include <string>

namespace tessera::sip {
namespace {

const std::string& Sdp() {
  static const std::string sdp =
      "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
      "t=0 0\r\nm=audio 49170 RTP/AVP 111 0 8 101\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\nm=video 51372 RTP/AVP 96 97\r\n"
      "a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
      "a=rtpmap:97 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=sendrecv\r\n";
  return sdp;
}

const std::string& Invite() {
  static const std::string invite =
      "INVITE sip:room-42@tessera.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
      "Max-Forwards: 70\r\n"
      "To: \"Room 42\" <sip:room-42@tessera.example.com>\r\n"
      "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Contact: <sip:alice@192.0.2.10:5060;transport=udp>;+sip.instance=\"<urn:uuid:1>\"\r\n"
      "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n"
      "Supported: timer, replaces, 100rel\r\n"
      "Session-Expires: 1800;refresher=uac\r\n"
      "User-Agent: Example Softphone 1.0\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: " +
      std::to_string(Sdp().size()) + "\r\n\r\n" + Sdp();
  return invite;
}

std::string Ok() {
  auto r = ParseSipMessage(Invite());
  SipMessage ok = MakeResponse(*r.message, 200, "OK", "a6c85cf");
  ok.AddHeader("Contact", "<sip:room-42@198.51.100.5:5060>");
  ok.AddHeader("Content-Type", "application/sdp");
  ok.set_body(Sdp());
  return SerializeMessage(ok);
}

void BM_ParseInviteWithSdp(benchmark::State& state) {
  const std::string& bytes = Invite();
  for (auto _ : state) {
    auto parsed = ParseSipMessage(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_ParseInviteWithSdp);

void BM_Parse200Ok(benchmark::State& state) {
  const std::string bytes = Ok();
  for (auto _ : state) {
    auto parsed = ParseSipMessage(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_Parse200Ok);

// What a UAS does per INVITE besides parsing: check it, build the 100 and write it.
void BM_CheckAndAnswerInvite(benchmark::State& state) {
  const SipMessage invite = *ParseSipMessage(Invite()).message;
  UasPolicy policy;
  policy.supported_option_tags = {"timer", "replaces"};
  for (auto _ : state) {
    auto rejection = CheckRequest(invite, policy);
    benchmark::DoNotOptimize(rejection);
    std::string trying = SerializeMessage(MakeResponse(invite, 100, "Trying"));
    benchmark::DoNotOptimize(trying);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckAndAnswerInvite);

void BM_FrameStream(benchmark::State& state) {
  const std::string& bytes = Invite();
  for (auto _ : state) {
    auto frame = FrameStreamMessage(bytes);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameStream);

}  // namespace
}  // namespace tessera::sip
