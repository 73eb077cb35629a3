// The API's recordings of a room (/v1/rooms/{room}/recordings): what the recorder tier is asked
// to do, after the room's consent policy says it may.
#include <tessera/base/percent.h>
#include <tessera/control/api.h>
#include <tessera/control/problem.h>

#include <string>
#include <vector>

#include "control/api_util.h"

namespace tessera::control {

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
  std::vector<std::string> errors;
  std::string profile, region;
  for (const auto& [key, v] : body.items()) {
    if (key == "profile" || key == "region") {
      if (!v.is_string()) {
        errors.push_back(key + ": must be a string");
      } else {
        (key == "profile" ? profile : region) = v.get<std::string>();
      }
    } else {
      errors.push_back(key + ": not a field of a recording (profile, region)");
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const std::string& e : errors) all += (all.empty() ? "" : "; ") + e;
    return ProblemFromStatus(InvalidArgumentError(all));
  }
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
  StatusOr<nlohmann::json> started =
      recordings.Start({room, recorded.value(), region, who.subject});
  HttpResponse r = Answer(started, 202);
  if (started.ok()) {
    r.headers.emplace_back("Location", "/v1/rooms/" + PercentEncodeSegment(room) + "/recordings/" +
                                           StringField(*started, "id"));
  }
  return r;
}

}  // namespace tessera::control
