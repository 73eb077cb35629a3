// The API's recordings of a room (/v1/rooms/{room}/recordings): what the recorder tier is asked
// to do, after the room's consent policy says it may; and erasures of a person's recordings
// (/v1/erasures).
#include <tessera/base/percent.h>
#include <tessera/control/api.h>
#include <tessera/control/problem.h>

#include <string>
#include <vector>

#include "control/api_util.h"

namespace tessera::control {
namespace {

constexpr size_t kMaxIdentity = 256;

std::string Lines(const std::vector<std::string>& errors) {
  std::string all;
  for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
  return all;
}

}  // namespace

StatusOr<RecordingStartBody> ParseRecordingStartBody(const nlohmann::json& body) {
  if (!body.is_object()) return InvalidArgumentError("the body must be a JSON object");
  std::vector<std::string> errors;
  RecordingStartBody out;
  for (const auto& [key, v] : body.items()) {
    if (key == "profile" || key == "region") {
      if (!v.is_string()) {
        errors.push_back(key + ": must be a string");
      } else {
        (key == "profile" ? out.profile : out.region) = v.get<std::string>();
      }
    } else if (key == "retention_days") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 36500) {
        errors.push_back("retention_days: must be a whole number of days in 1..36500, got " +
                         v.dump().substr(0, 40));
      } else {
        out.retention_days = v.get<uint32_t>();
      }
    } else {
      errors.push_back(key.substr(0, 64) +
                       ": not a field of a recording (profile, region, retention_days)");
    }
  }
  if (!errors.empty()) return InvalidArgumentError(Lines(errors));
  return out;
}

StatusOr<ErasureRequest> ParseErasureBody(const nlohmann::json& body) {
  if (!body.is_object()) return InvalidArgumentError("the body must be a JSON object");
  std::vector<std::string> errors;
  ErasureRequest out;
  bool identity = false;
  for (const auto& [key, v] : body.items()) {
    if (key == "identity") {
      identity = true;
      if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
          v.get_ref<const std::string&>().size() > kMaxIdentity) {
        errors.push_back("identity: must be the participant's name, a string of 1 to " +
                         std::to_string(kMaxIdentity) + " bytes");
      } else {
        out.identity = v.get<std::string>();
      }
    } else if (key == "dry_run") {
      if (!v.is_boolean()) {
        errors.push_back("dry_run: must be true or false");
      } else {
        out.dry_run = v.get<bool>();
      }
    } else {
      errors.push_back(key.substr(0, 64) + ": not a field of an erasure (identity, dry_run)");
    }
  }
  if (!identity) errors.push_back("identity: is required (the participant's name)");
  if (!errors.empty()) return InvalidArgumentError(Lines(errors));
  return out;
}

HttpResponse Api::ServeRecordings(bool one, const std::string& method, const nlohmann::json& body,
                                  const Principal& who, const std::vector<std::string>& params) {
  const std::string& room = params[0];
  if (!options_.recordings) {
    return Problem(409, "recording-unavailable", "Recording unavailable",
                   "no recorder is configured on this node (control.recorder.url): it cannot "
                   "record");
  }
  RecordingControl& recordings = *options_.recordings;
  if (one) {
    if (method == "GET") return Answer(recordings.Get(room, params[1]));
    return Answer(recordings.Stop(room, params[1]));
  }
  if (method == "GET") {
    if (const auto known = service_.RecordedProfile(room, ""); !known.ok()) {
      return ProblemFromStatus(known.status());
    }
    return Json(200, recordings.List(room));
  }
  StatusOr<RecordingStartBody> asked = ParseRecordingStartBody(body);
  if (!asked.ok()) return ProblemFromStatus(asked.status());
  const std::string& profile = asked->profile;
  const std::string& region = asked->region;
  StatusOr<std::string> recorded = service_.RecordedProfile(room, profile);
  if (!recorded.ok()) return ProblemFromStatus(recorded.status());
  // Consent first: nobody is recorded who has not agreed (docs/security.md, "Consent"). Under the
  // room's "exclude" policy nobody blocks: the recording leaves them out.
  StatusOr<std::vector<std::string>> lacking = service_.BlockingRecording(room);
  if (!lacking.ok()) return ProblemFromStatus(lacking.status());
  if (!lacking->empty()) {
    std::string names;
    for (const std::string& n : *lacking) names += (names.empty() ? "" : ", ") + n;
    return Problem(409, "consent-missing", "Consent missing",
                   "room '" + room +
                       "' cannot be recorded: everyone seen or heard must have granted consent "
                       "first; not granted: " +
                       names);
  }
  // The start's retention, else the room's, else (0) the recorder's own.
  StatusOr<uint32_t> retention = service_.RecordingRetentionDays(room);
  if (!retention.ok()) return ProblemFromStatus(retention.status());
  // A room's retention is its data owner's promise: a start may keep a recording shorter, only an
  // admin longer.
  if (retention.value() > 0 && asked->retention_days > retention.value() &&
      who.role != Role::kAdmin) {
    return Problem(403, "forbidden", "Forbidden",
                   "room '" + room + "' keeps recordings " + std::to_string(retention.value()) +
                       " days: only an admin may ask for longer (retention_days " +
                       std::to_string(asked->retention_days) + ")");
  }
  StatusOr<nlohmann::json> started =
      recordings.Start({room, recorded.value(), region, who.subject,
                        asked->retention_days ? asked->retention_days : retention.value()});
  HttpResponse r = Answer(started, 202);
  if (started.ok()) {
    r.headers.emplace_back("Location", "/v1/rooms/" + PercentEncodeSegment(room) + "/recordings/" +
                                           StringField(*started, "id"));
  }
  return r;
}

// POST /v1/erasures answers at once (202, pending); GET /v1/erasures/{id} gives the recorder's
// result when it has come (docs/security.md, "Retention and erasure").
HttpResponse Api::ServeErasures(bool one, const std::string& method, const nlohmann::json& body,
                                const Principal& who, const std::vector<std::string>& params) {
  if (!options_.recordings) {
    return Problem(409, "recording-unavailable", "Recording unavailable",
                   "no recorder is configured on this node (control.recorder.url): it has no "
                   "recordings to erase");
  }
  RecordingControl& recordings = *options_.recordings;
  if (one) return Answer(recordings.GetErasure(params[0]));
  (void)method;  // POST: the only other method the route takes
  StatusOr<ErasureRequest> asked = ParseErasureBody(body);
  if (!asked.ok()) return ProblemFromStatus(asked.status());
  asked->requested_by = who.subject;
  StatusOr<nlohmann::json> started = recordings.StartErasure(*asked);
  HttpResponse r = Answer(started, 202);
  if (started.ok()) {
    r.headers.emplace_back("Location",
                           "/v1/erasures/" + PercentEncodeSegment(StringField(*started, "id")));
  }
  return r;
}

}  // namespace tessera::control
