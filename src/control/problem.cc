#include <tessera/control/problem.h>

#include <nlohmann/json.hpp>
#include <utility>

namespace tessera::control {

HttpResponse Problem(int status, std::string slug, std::string title, std::string detail) {
  const nlohmann::json body = {{"type", "urn:tessera:problem:" + slug},
                               {"title", std::move(title)},
                               {"status", status},
                               {"detail", std::move(detail)}};
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  // replace: a detail that quotes a client's bytes must not make dump() throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace tessera::control
