// The API's answers and body helpers, shared by its route handlers (api.cc, api_recordings.cc).
#include "control/api_util.h"

#include <tessera/control/problem.h>

#include <utility>

namespace tessera::control {

HttpResponse Json(int status, const nlohmann::json& j) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse BadRequest(std::string detail) {
  return Problem(400, "bad-request", "Bad request", std::move(detail));
}

// RFC 6750 3: an error_description holds printable ASCII but '"' and '\'.
std::string HeaderText(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\'');
    } else if (u < 0x20 || u > 0x7e) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// 401. No token: the challenge alone; a refused token: invalid_token and why.
HttpResponse Unauthorized(bool token_given, const std::string& reason) {
  HttpResponse r = Problem(
      401, "unauthorized", "Unauthorized",
      token_given ? "the bearer token was refused: " + reason : "a bearer token is required");
  std::string challenge = "Bearer realm=\"tessera\"";
  if (token_given) {
    challenge += ", error=\"invalid_token\", error_description=\"" + HeaderText(reason) + "\"";
  }
  r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return r;
}

HttpResponse Forbidden(std::string detail) {
  HttpResponse r = Problem(403, "forbidden", "Forbidden", std::move(detail));
  r.headers.emplace_back("WWW-Authenticate",
                         "Bearer realm=\"tessera\", error=\"insufficient_scope\"");
  return r;
}

HttpResponse ForbiddenRoom(const Principal& who) {
  return Forbidden("this token may only touch room '" + who.room + "'");
}

// A service answer: `status` with its JSON, or its error as a problem.
HttpResponse Answer(const StatusOr<nlohmann::json>& result, int status) {
  if (!result.ok()) return ProblemFromStatus(result.status());
  return Json(status, *result);
}

HttpResponse Answer(const Status& result) {
  return result.ok() ? NoContent() : ProblemFromStatus(result);
}

// The request body as a JSON object; else the 400 to answer.
std::optional<HttpResponse> ParseBody(const HttpRequest& request, nlohmann::json& out) {
  try {
    out = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    return BadRequest("the body is not JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception&) {
    return BadRequest("the body is not JSON (a number out of range)");
  }
  if (!out.is_object()) return BadRequest("the body must be a JSON object");
  return std::nullopt;
}

// `key` of a body when it is a string; else "".
std::string StringField(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Keeps the elements of `list` whose `key` is `value`.
nlohmann::json OnlyWhere(const nlohmann::json& list, const char* key, const std::string& value) {
  nlohmann::json out = nlohmann::json::array();
  for (const nlohmann::json& e : list) {
    if (e.is_object() && StringField(e, key) == value) out.push_back(e);
  }
  return out;
}

}  // namespace tessera::control
