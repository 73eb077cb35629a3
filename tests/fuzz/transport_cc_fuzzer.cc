// Transport-wide congestion control with network input: the sequence number read from any RTP
// packet's header extensions (what a publisher sends), and the send-side estimator driven by any
// feedback a viewer could send about packets Tessera sent. Checks: a sequence number is read only
// where SetExtension would have put one; the estimate stays within its bounds and the loss in
// [0, 1], whatever the feedback claims; the receiver's own feedback always serializes.
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/transport_cc.h>

#include <cstdlib>

#include "fuzz_input.h"

using namespace tessera::rtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  // As a received packet: read, and acknowledged.
  TransportCcReceiver receiver;
  if (auto seq = ReadTransportSequence(bytes, 3)) {
    auto p = RtpPacket::Parse(bytes);
    if (!p) std::abort();  // a sequence number only in a packet that parses
    receiver.OnPacket(*seq, 1'000'000);
  }
  tessera::fuzz::Input in(bytes);
  SendSideEstimator estimator(
      {.start_bps = 1'000'000, .min_bps = 100'000, .max_bps = 3'000'000, .probe_bps = 1'500'000});
  int64_t now = 5'000'000;
  uint16_t sent = in.U16();
  // Rounds of: some packets sent, arrivals recorded, the receiver's feedback, then the input's
  // own feedback (any bytes) about them.
  for (int round = 0; round < 64 && !in.empty(); ++round) {
    const int count = in.Byte() % 32;
    for (int i = 0; i < count; ++i) {
      now += in.Byte() * 100;
      const uint16_t seq = sent++;
      estimator.OnPacketSent(seq, now, 200 + in.Byte() * 4, in.Byte() & 1);
      if (in.Byte() & 1) receiver.OnPacket(seq, now + in.U16() * 10);
    }
    for (const auto& fb : receiver.BuildFeedback(1, 2)) {
      if (!fb.CanSerialize()) std::abort();
      std::vector<uint8_t> wire;
      fb.Serialize(wire);
      auto parsed = TransportFeedback::Parse(wire);
      if (!parsed) std::abort();
      estimator.OnFeedback(*parsed, now);
    }
    const size_t n = in.Byte();
    std::vector<uint8_t> raw;
    for (size_t i = 0; i < n; ++i) raw.push_back(in.Byte());
    if (auto fb = TransportFeedback::Parse(raw)) estimator.OnFeedback(*fb, now);
    (void)estimator.ProbeDue(now);
    if (estimator.estimate_bps() < 100'000 || estimator.estimate_bps() > 3'000'000) std::abort();
    if (!(estimator.loss() >= 0.0 && estimator.loss() <= 1.0)) std::abort();
  }
  return 0;
}
