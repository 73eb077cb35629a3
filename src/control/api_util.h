// The API's answers and body helpers, shared by its route handlers (api.cc, api_recordings.cc).
#pragma once

#include <tessera/control/auth.h>
#include <tessera/control/http.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::control {

HttpResponse Json(int status, const nlohmann::json& j);
HttpResponse NoContent();
HttpResponse BadRequest(std::string detail);
// RFC 6750 3: an error_description holds printable ASCII but '"' and '\'.
std::string HeaderText(std::string_view s);
// 401. No token: the challenge alone; a refused token: invalid_token and why.
HttpResponse Unauthorized(bool token_given, const std::string& reason);
HttpResponse Forbidden(std::string detail);
HttpResponse ForbiddenRoom(const Principal& who);
// A service answer: `status` with its JSON, or its error as a problem.
HttpResponse Answer(const StatusOr<nlohmann::json>& result, int status = 200);
HttpResponse Answer(const Status& result);
// The request body as a JSON object; else the 400 to answer.
std::optional<HttpResponse> ParseBody(const HttpRequest& request, nlohmann::json& out);
// `key` of a body when it is a string; else "".
std::string StringField(const nlohmann::json& body, const char* key);
// Keeps the elements of `list` whose `key` is `value`.
nlohmann::json OnlyWhere(const nlohmann::json& list, const char* key, const std::string& value);

}  // namespace tessera::control
