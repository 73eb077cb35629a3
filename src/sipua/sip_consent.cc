// Consent to being recorded by a key press (sip.consent_prompt; docs/security.md, "Consent"): a
// caller whose trunk asserts nothing hears the recording notice over the room's sound until it
// presses the grant or the decline key, or the prompt's time runs out (its consent stays
// unknown). The keys answer for the whole call, so a caller can withdraw.
#include <spdlog/spdlog.h>
#include <tessera/base/personal_name.h>

#include <string>

#include "sipua/sip_call.h"
#include "sipua/sip_media.h"

namespace tessera::sipua {

const char* ConsentPromptName(SipService::Call::ConsentPrompt prompt) {
  switch (prompt) {
    case SipService::Call::ConsentPrompt::kNone:
      return "none";
    case SipService::Call::ConsentPrompt::kAsking:
      return "asking";
    case SipService::Call::ConsentPrompt::kAnswered:
      return "answered";
    case SipService::Call::ConsentPrompt::kTimedOut:
      return "timed_out";
  }
  return "none";
}

namespace {

// A consent key counts from this long after the notice started: a key pressed before (the last
// PIN digit sent twice, by INFO and RFC 4733; a habit of ending with #) was not an answer to it.
constexpr int64_t kKeyGuardUs = 1'000'000;

}  // namespace

void SipService::ArmConsentTimer(Call& c) {
  const std::string key = c.key;
  c.consent_timer =
      timers_->Schedule(sip::Millis(config_.consent_prompt.timeout_s * 1000), [this, key] {
        auto it = calls_.find(key);
        if (it == calls_.end()) return;
        Call& call = *it->second;
        call.consent_timer = 0;
        if (call.consent_prompt != Call::ConsentPrompt::kAsking) return;
        call.consent_prompt = Call::ConsentPrompt::kTimedOut;
        ++stats_.consent_timeouts;
        spdlog::info("sip: call {}: no answer to the consent prompt in {} s; consent stays unknown",
                     call.call_id, config_.consent_prompt.timeout_s);
        EndConsentNotice(call);
      });
}

void SipService::AskConsent(Call& c) {
  const SipConsentPromptConfig& prompt = config_.consent_prompt;
  if (!prompt.enabled || !c.joined) return;
  if (c.consent_prompt == Call::ConsentPrompt::kNone) {
    // Asked once per call; not where the trunk answers for its callers, nor once the call's
    // consent was set (the API, before the PIN was entered).
    if (ConsentFor(config_, c.peer.host) != session::Consent::kUnknown || c.consent_in_call) {
      return;
    }
    if (!c.session || !c.session->audio) {
      spdlog::info("sip: call {} has no audio: it cannot hear the consent prompt", c.call_id);
      return;
    }
    c.consent_prompt = Call::ConsentPrompt::kAsking;
    c.prompt_started_us = clock_.NowUs();
    if (!c.held) ArmConsentTimer(c);
    spdlog::info("sip: call {}: asking {} of room {} for consent ('{}' grants, '{}' declines)",
                 c.call_id, PersonalName(c.name), c.room, prompt.grant, prompt.decline);
  }
  if (c.consent_prompt != Call::ConsentPrompt::kAsking) return;
  // The notice over what it hears; again after a rejoin (a new participant id).
  session::MemberUpdate update;
  update.notice = true;
  if (Status s = rooms_.UpdateMember(c.room, c.participant, update); !s.ok()) {
    spdlog::warn("sip: call {}: the consent notice could not start: {}", c.call_id, s.message());
  }
}

void SipService::ConsentHoldChanged(Call& c) {
  if (c.consent_prompt != Call::ConsentPrompt::kAsking) return;
  if (c.held && c.consent_timer) {
    timers_->Cancel(c.consent_timer);
    c.consent_timer = 0;
    spdlog::info("sip: call {} on hold: the consent prompt waits", c.call_id);
  } else if (!c.held && !c.consent_timer) {
    ArmConsentTimer(c);  // the whole time again, from the resume
  }
}

void SipService::EndConsentNotice(Call& c) {
  session::MemberUpdate update;
  update.notice = false;
  if (Status s = rooms_.UpdateMember(c.room, c.participant, update); !s.ok()) {
    spdlog::warn("sip: call {}: the consent notice could not stop: {}", c.call_id, s.message());
  }
}

bool SipService::OnConsentKey(Call& c, char digit) {
  const SipConsentPromptConfig& prompt = config_.consent_prompt;
  if (!prompt.enabled || c.consent_prompt == Call::ConsentPrompt::kNone) return false;
  if (digit != prompt.grant && digit != prompt.decline) return false;
  const bool asking = c.consent_prompt == Call::ConsentPrompt::kAsking;
  if (asking && clock_.NowUs() - c.prompt_started_us < kKeyGuardUs) {
    spdlog::info("sip: call {}: key '{}' ignored: pressed before the consent notice was heard",
                 c.call_id, digit);
    return true;
  }
  const session::Consent consent =
      digit == prompt.grant ? session::Consent::kGranted : session::Consent::kDeclined;
  const bool changed = c.consent_in_call != consent;
  session::MemberUpdate update;
  update.consent = consent;
  update.consent_source = "sip-dtmf";
  if (asking) update.notice = false;
  if (Status s = rooms_.UpdateMember(c.room, c.participant, update); !s.ok()) {
    spdlog::warn("sip: call {}: its consent key could not be applied: {}", c.call_id, s.message());
    return true;
  }
  if (c.consent_timer) timers_->Cancel(c.consent_timer);
  c.consent_timer = 0;
  c.consent_prompt = Call::ConsentPrompt::kAnswered;
  c.consent_in_call = consent;
  if (changed || asking) {
    ++(consent == session::Consent::kGranted ? stats_.consent_granted : stats_.consent_declined);
  }
  spdlog::info("sip: call {}: consent {} by key '{}'", c.call_id, session::ConsentName(consent),
               digit);
  return true;
}

void SipService::OnConsentSet(const std::string& key, session::Consent consent,
                              const std::string& source) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  c.consent_in_call = consent;
  if (source == "sip-dtmf" || c.consent_prompt != Call::ConsentPrompt::kAsking) return;
  // Answered elsewhere (the app, through the API): the notice has done its work.
  if (c.consent_timer) timers_->Cancel(c.consent_timer);
  c.consent_timer = 0;
  c.consent_prompt = Call::ConsentPrompt::kAnswered;
  spdlog::info("sip: call {}: consent {} set by {}: the consent prompt ends", c.call_id,
               session::ConsentName(consent), source);
  EndConsentNotice(c);
}

}  // namespace tessera::sipua
