// VideoLeg: its statistics, as the API, the console and the room summary show them.
#include <nlohmann/json.hpp>

#include "session/drops_json.h"
#include "session/video_leg.h"

namespace tessera::session {

std::string VideoLeg::SummaryJson(const std::string& room) const {
  const auto& c = counts_;
  nlohmann::ordered_json j = {{"participant", config_.name},
                              {"room", room},
                              {"media", "video"},
                              {"rtp_received", c.rtp_received},
                              {"frames_received", c.frames_received},
                              {"decode_queue_full", c.decode_queue_full},
                              {"rtcp_received", c.rtcp_received},
                              {"frames_sent", c.frames_sent},
                              {"keyframes_sent", c.keyframes_sent},
                              {"rtp_sent", c.rtp_sent},
                              {"send_failures", c.send_failures},
                              {"pli_received", c.plis_received},
                              {"fir_received", c.firs_received},
                              {"nack_received", c.nacks_received},
                              {"retransmitted", c.retransmitted},
                              {"rtx_received", c.rtx_received},
                              {"rtx_padding", c.rtx_padding},
                              {"remb_received", c.remb_received},
                              {"padding_sent", c.padding_sent},
                              {"tmmbr_received", c.tmmbr_received},
                              {"bytes_received", c.bytes_received},
                              {"bytes_sent", c.bytes_sent}};
  int64_t rtt_us = rtt_us_;
  if (receive_) {
    const auto s = receive_->stats();
    j["keyframe_requests_sent"] = s.keyframe_requests;
    j["nacks_sent"] = s.nacks_sent;
    if (config_.video->remb_max_kbps) {
      j["rembs_sent"] = s.rembs_sent;
      j["remb_max_kbps"] = config_.video->remb_max_kbps;
    }
    j["packets_lost"] = s.packets_lost;
    j["jitter_ms"] = s.jitter_ms;
    if (rtt_us < 0) rtt_us = s.rtt_us;
  }
  // Absent while unknown.
  if (rtt_us >= 0) j["rtt_ms"] = static_cast<double>(rtt_us) / 1000.0;
  if (remote_loss_) j["remote_loss"] = *remote_loss_;
  if (simulcast_) {
    const auto& st = simulcast_->stats();
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (size_t i = 0; i < simulcast_->rids().size(); ++i) {
      const auto [w, h] = simulcast_->layer_size(i);
      layers.push_back({{"rid", simulcast_->rids()[i]}, {"width", w}, {"height", h}});
    }
    j["simulcast"] = {
        {"layers", std::move(layers)},
        {"decoding", simulcast_->selected()
                         ? nlohmann::ordered_json(simulcast_->rids()[*simulcast_->selected()])
                         : nlohmann::ordered_json(nullptr)},
        {"switching_to", simulcast_->target()
                             ? nlohmann::ordered_json(simulcast_->rids()[*simulcast_->target()])
                             : nlohmann::ordered_json(nullptr)},
        {"skipped", st.skipped},
        {"switches", st.switches},
        {"unknown", st.unknown}};
  }
  if (link_estimate_bps_) {
    j["send_estimate_kbps"] = *link_estimate_bps_ / 1000;
    j["send_estimate_loss"] = link_loss_;
    j["send_estimates"] = c.link_estimates;
  }
  if (input_) {
    // Read after the decode pool has stopped.
    const auto& s = input_->stats();
    j["decoder"] = {{"decoded", s.decoded},
                    {"errors", s.errors},
                    {"too_large", s.too_large},
                    {"bad_format", s.bad_format},
                    {"rate_limited", s.rate_limited},
                    {"waiting_keyframe", s.waiting_keyframe},
                    {"codec_mismatch", s.codec_mismatch},
                    {"resets", s.resets},
                    {"width", s.width},
                    {"height", s.height},
                    {"failed", s.failed},
                    {"mailbox_overwritten", input_->mailbox()->overwritten()},
                    {"hw_decoder", s.hw_decoder},
                    {"hw_decoded", s.hw_decoded},
                    {"hw_fallback", s.hw_fallback}};
  }
  if (latency_.count()) {
    j["latency_ms"] = {{"frames", latency_.count()},
                       {"p50", latency_.PercentileMs(0.5)},
                       {"p99", latency_.PercentileMs(0.99)}};
  }
  j["dropped"] = DropsJson(drops_);
  j["ingress"] = IngressJson(transport_->receive_counts());
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tessera::session
