#include <tessera/control/problem.h>

#include <nlohmann/json.hpp>
#include <utility>

namespace tessera::control {
namespace {

HttpResponse Make(int status, const std::string& slug, std::string title, std::string detail,
                  const std::vector<std::string>* errors) {
  nlohmann::json j = {{"type", "urn:tessera:problem:" + slug},
                      {"title", std::move(title)},
                      {"status", status},
                      {"detail", std::move(detail)}};
  if (errors) j["errors"] = *errors;
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  // Messages may quote what a client sent; invalid UTF-8 is replaced, never thrown over.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// The message's non-empty lines: the validators put one error on each.
std::vector<std::string> Lines(const std::string& message) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

}  // namespace

HttpResponse Problem(int status, std::string slug, std::string title, std::string detail) {
  return Make(status, slug, std::move(title), std::move(detail), nullptr);
}

HttpResponse Problem(int status, std::string slug, std::string title, std::string detail,
                     std::vector<std::string> errors) {
  return Make(status, slug, std::move(title), std::move(detail), &errors);
}

HttpResponse ProblemFromStatus(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case StatusCode::kInvalidArgument: {
      std::vector<std::string> errors = Lines(m);
      if (errors.empty()) errors.push_back("the request is not valid");
      std::string detail = errors.size() == 1 ? errors.front()
                                              : std::to_string(errors.size()) +
                                                    " errors; the first: " + errors.front();
      return Problem(422, "validation", "Validation failed", std::move(detail), std::move(errors));
    }
    case StatusCode::kNotFound:
      return Problem(404, "not-found", "Not found", m);
    case StatusCode::kAlreadyExists:
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
      return Problem(409, "conflict", "Conflict", m);
    case StatusCode::kUnavailable:
      return Problem(503, "unavailable", "Unavailable", m);
    case StatusCode::kUnauthenticated:
      return Problem(401, "unauthorized", "Unauthorized", m);
    case StatusCode::kPermissionDenied:
      return Problem(403, "forbidden", "Forbidden", m);
    case StatusCode::kInternal:
      return Problem(500, "internal", "Internal error", m);
    case StatusCode::kOk:
      break;
  }
  return Problem(500, "internal", "Internal error", "an error without a status code");
}

}  // namespace tessera::control
