// The recorder's HTTP API (/v1/recordings, /v1/erasures): requests checked and answered here, the
// work done by RecorderService (recorder_service.cc).
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <tessera/control/problem.h>
#include <tessera/recorder/recorder_service.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tessera::recorder {
namespace {

constexpr char kPrefix[] = "/v1/recordings";
constexpr char kErasures[] = "/v1/erasures";

control::HttpResponse Json(int status, const nlohmann::json& body) {
  control::HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

}  // namespace

control::HttpResponse RecorderService::Handle(const control::HttpRequest& req) {
  const std::string& auth = req.Header("authorization");
  const std::string expected = "Bearer " + api_token_;
  if (auth.size() != expected.size() ||
      CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) != 0) {
    control::HttpResponse r = control::Problem(401, "unauthorized", "Unauthorized",
                                               "send Authorization: Bearer <api token>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (req.path == kErasures) return HandleErasure(req);
  const std::string prefix = kPrefix;
  if (req.path == prefix) {
    if (req.method == "GET") {
      nlohmann::json list = nlohmann::json::array();
      for (const std::string& j : ListJson()) list.push_back(nlohmann::json::parse(j));
      return Json(200, {{"recordings", list}});
    }
    if (req.method != "POST") {
      return control::Problem(405, "method-not-allowed", "Method not allowed",
                              "use GET or POST on " + prefix);
    }
    auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    // Strings, and short: they name files and go into the recording's authenticated header.
    auto text = [&](const char* key) {
      return body.is_object() &&
             (!body.contains(key) ||
              (body[key].is_string() && body[key].get_ref<const std::string&>().size() <= 256));
    };
    if (!body.is_object() || !body.contains("room") || !text("room") ||
        body["room"].get<std::string>().empty() || !text("profile") || !text("region") ||
        !text("id")) {
      return control::Problem(422, "validation", "Invalid request",
                              "the body must be {\"room\": \"<name>\", \"profile\": \"<profile>\", "
                              "\"region\": \"<region>\", \"id\": \"<id>\", \"retention_days\": "
                              "<days>} (profile, region, id and retention_days optional)");
    }
    // Days to keep it (the MCU's room or request); absent: this recorder's retention_days.
    uint32_t retention_days = 0;
    if (const auto days = body.find("retention_days"); days != body.end()) {
      if (!days->is_number_integer() || days->get<int64_t>() < 1 || days->get<int64_t>() > 36500) {
        return control::Problem(422, "validation", "Invalid request",
                                "retention_days: must be a whole number of days in 1..36500");
      }
      retention_days = days->get<uint32_t>();
    }
    auto info = StartRecording(body["room"].get<std::string>(), body.value("profile", ""),
                               body.value("region", ""), body.value("id", ""), retention_days);
    if (!info.ok()) return control::ProblemFromStatus(info.status());
    control::HttpResponse r = Json(
        201,
        {{"id", info->id},
         {"room", info->room},
         {"profile", info->profile},
         {"region", info->region},
         {"started_unix_ms", info->started_unix_ms},
         {"retention_days", info->retention_days},
         {"expires", FormatRfc3339(ExpiresUnixS(info->started_unix_ms, info->retention_days))}});
    r.headers.emplace_back("Location", prefix + "/" + info->id);
    return r;
  }
  if (req.path.rfind(prefix + "/", 0) == 0) {
    const std::string id = req.path.substr(prefix.size() + 1);
    if (req.method != "DELETE") {
      return control::Problem(405, "method-not-allowed", "Method not allowed",
                              "use DELETE on " + req.path);
    }
    Status s = StopRecording(id);
    if (s.code() == StatusCode::kNotFound) return control::ProblemFromStatus(s);
    control::HttpResponse r;
    r.status = 204;
    r.body.clear();
    if (!s.ok()) r = control::ProblemFromStatus(s);
    return r;
  }
  return control::Problem(404, "not-found", "Not found", "no route " + req.path);
}

control::HttpResponse RecorderService::HandleErasure(const control::HttpRequest& req) {
  if (req.method != "POST") {
    return control::Problem(405, "method-not-allowed", "Method not allowed",
                            std::string("use POST on ") + kErasures);
  }
  auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("identity") || !body["identity"].is_string() ||
      body["identity"].get<std::string>().empty() ||
      (body.contains("dry_run") && !body["dry_run"].is_boolean())) {
    return control::Problem(422, "validation", "Invalid request",
                            "the body must be {\"identity\": \"<participant name>\", "
                            "\"dry_run\": true|false} (dry_run optional, false by default)");
  }
  const std::string identity = body["identity"].get<std::string>();
  const bool dry_run = body.value("dry_run", false);
  auto result = Erase(identity, dry_run, req.source_address);
  if (!result.ok()) return control::ProblemFromStatus(result.status());
  nlohmann::json recordings = nlohmann::json::array();
  for (const RecordingEntry& e : result->deleted) {
    nlohmann::json j = {{"id", e.id}};
    if (!e.room.empty()) {
      j["room"] = e.room;
      j["region"] = e.region;
      j["started"] = FormatRfc3339(e.started_s);
      j["ended"] = e.ended_s ? nlohmann::json(FormatRfc3339(*e.ended_s)) : nlohmann::json();
    }
    recordings.push_back(std::move(j));
  }
  nlohmann::json answer = {{"identity", identity},
                           {"dry_run", dry_run},
                           {"recordings", std::move(recordings)},
                           {"in_progress", result->in_progress},
                           {"problems", result->problems}};
  if (!result->in_progress.empty()) {
    answer["note"] =
        "recordings in in_progress are still being recorded and were not deleted: stop them "
        "(DELETE /v1/recordings/{id}) and send the erasure again";
  }
  return Json(200, answer);
}

}  // namespace tessera::recorder
